import type OpenAI from 'openai';
import { classifyOpenAIError, ModelCallError } from './errors.js';
import type { ChatEvent, ChatProvider, ChatRequest } from './types.js';

/**
 * Streams chat completions from OpenAI or any OpenAI-compatible server through the official SDK, asking for the
 * usage chunk so token accounting is exact. Every failure is thrown as a classified {@link ModelCallError}.
 */
export class OpenAIChatProvider implements ChatProvider {
  readonly name = 'openai';

  constructor(private readonly client: OpenAI) {}

  async *stream(req: ChatRequest): AsyncIterable<ChatEvent> {
    const controller = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    // The SDK's timeout only covers the wait for response headers; a stream that goes silent afterwards needs
    // our own timer, re-armed after every chunk.
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, req.timeoutMs);
    };
    const onClientAbort = () => controller.abort();
    if (req.signal?.aborted) controller.abort();
    req.signal?.addEventListener('abort', onClientAbort, { once: true });
    let finished = false;
    try {
      arm();
      const stream = await this.client.chat.completions.create(
        {
          model: req.model,
          messages: req.messages,
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: controller.signal, timeout: req.timeoutMs, maxRetries: 0 },
      );
      for await (const chunk of stream) {
        clearTimeout(timer);
        const choice = chunk.choices[0];
        if (choice?.finish_reason) finished = true;
        const text = choice?.delta?.content;
        if (text) yield { type: 'token', text };
        if (chunk.usage) {
          yield {
            type: 'usage',
            inputTokens: chunk.usage.prompt_tokens,
            outputTokens: chunk.usage.completion_tokens,
          };
        }
        arm();
      }
      // The SDK ends an aborted stream quietly instead of throwing, so an abort must be detected here.
      if (controller.signal.aborted) {
        throw timedOut
          ? new ModelCallError(req.model, 'timeout', `${req.model} stopped sending tokens`)
          : new ModelCallError(req.model, 'aborted', `The call to ${req.model} was cancelled`);
      }
      if (!finished) {
        throw new ModelCallError(
          req.model,
          'interrupted',
          `The stream from ${req.model} ended before the answer was complete`,
        );
      }
    } catch (err) {
      throw classifyOpenAIError(req.model, err, timedOut);
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onClientAbort);
      // A consumer that stops early must not leave the HTTP stream open.
      if (!finished) controller.abort();
    }
  }
}
