/**
 * The labelled evaluation set of `npm run eval`. Documents are package READMEs from node_modules, pinned to the
 * version package-lock.json installs (nobody here wrote them), and Persian documents written for the eval
 * (bench/eval/documents/). Each question names its document and a fact: a phrase that the passage answering it
 * contains and that a good answer states. Follow-ups are asked in the same conversation right after their first
 * question; unanswerable questions expect DocuChat to say that nothing relevant was found.
 */

export interface EvalDocument {
  id: string;
  /** The name it is uploaded under. */
  name: string;
  /** A README of an installed package (version checked at run time), or a file in bench/eval/documents/. */
  source: { package: string; version: string; file: string } | { local: string };
  lang: 'en' | 'fa';
}

export interface EvalQuestion {
  id: string;
  lang: 'en' | 'fa';
  question: string;
  doc: string;
  /** Text the answering passage holds and the answer should state (compared without case, spacing or digit form). */
  fact: string;
}

export interface FollowUp {
  id: string;
  lang: 'en' | 'fa';
  first: string;
  followUp: string;
  doc: string;
  fact: string;
}

export interface Unanswerable {
  id: string;
  lang: 'en' | 'fa';
  question: string;
}

const readme = (pkg: string, version: string, file = 'README.md') => ({ package: pkg, version, file });

export const DOCUMENTS: EvalDocument[] = [
  { id: 'pino', name: 'pino-README.md', source: readme('pino', '10.4.0'), lang: 'en' },
  { id: 'argon2', name: 'argon2-README.md', source: readme('argon2', '0.45.1'), lang: 'en' },
  { id: 'yaml', name: 'yaml-README.md', source: readme('yaml', '2.9.1'), lang: 'en' },
  { id: 'nodemailer', name: 'nodemailer-README.md', source: readme('nodemailer', '10.6.1'), lang: 'en' },
  { id: 'lru', name: 'lru-cache-README.md', source: readme('lru-cache', '11.5.3'), lang: 'en' },
  { id: 'prom', name: 'prom-client-README.md', source: readme('prom-client', '15.1.3'), lang: 'en' },
  { id: 'h2t', name: 'html-to-text-README.md', source: readme('html-to-text', '10.0.1'), lang: 'en' },
  { id: 'mammoth', name: 'mammoth-README.md', source: readme('mammoth', '1.13.0'), lang: 'en' },
  { id: 'gpt', name: 'gpt-tokenizer-README.md', source: readme('gpt-tokenizer', '4.0.0'), lang: 'en' },
  { id: 'autocannon', name: 'autocannon-README.md', source: readme('autocannon', '9.0.0'), lang: 'en' },
  {
    id: 'ratelimit',
    name: 'fastify-rate-limit-README.md',
    source: readme('@fastify/rate-limit', '11.2.0'),
    lang: 'en',
  },
  { id: 'pgvector', name: 'pgvector-README.md', source: readme('pgvector', '0.2.1'), lang: 'en' },
  { id: 'fastify', name: 'fastify-README.md', source: readme('fastify', '5.12.8'), lang: 'en' },
  { id: 'hr', name: 'راهنمای-کارکنان.md', source: { local: 'hr-handbook.fa.md' }, lang: 'fa' },
  { id: 'backup', name: 'راهنمای-پشتیبان‌گیری.md', source: { local: 'backup-guide.fa.md' }, lang: 'fa' },
  { id: 'billing', name: 'پرسش‌های-پرداخت.md', source: { local: 'billing-faq.fa.md' }, lang: 'fa' },
];

const en = (id: string, doc: string, question: string, fact: string): EvalQuestion => ({
  id,
  lang: 'en',
  doc,
  question,
  fact,
});
const fa = (id: string, doc: string, question: string, fact: string): EvalQuestion => ({
  id,
  lang: 'fa',
  doc,
  question,
  fact,
});

export const QUESTIONS: EvalQuestion[] = [
  en('pino-1', 'pino', 'Which module formats pino logs nicely during development?', 'pino-pretty'),
  en('pino-2', 'pino', 'How much faster than the alternatives is pino?', 'over 5x faster than alternatives'),
  en('pino-3', 'pino', 'Where should log transports run?', 'worker thread'),
  en('pino-4', 'pino', 'Which company sponsors the logger today?', 'Platformatic'),
  en('pino-5', 'pino', 'Who designed the pino logo?', 'Cosmic Fox Design'),
  en('pino-6', 'pino', 'Which compatibility module lets pino run on Bare?', 'pino-bare'),

  en('argon2-1', 'argon2', 'Which Argon2 variant is used for hashing by default?', 'Argon2id (default)'),
  en('argon2-2', 'argon2', 'How do I force argon2 to build from source on install?', '--build-from-source'),
  en('argon2-3', 'argon2', 'Which Node.js versions is node-argon2 tested against?', 'Node >=22.0.0'),
  en('argon2-4', 'argon2', 'Since which version are prebuilt argon2 binaries provided?', 'v0.26.0'),
  en(
    'argon2-5',
    'argon2',
    'I installed Node as a snap and cannot install node-argon2, what can I do?',
    'another package manager',
  ),
  en(
    'argon2-6',
    'argon2',
    'Do I need extra typings to use argon2 from TypeScript?',
    'type declaration file is published',
  ),

  en('yaml-1', 'yaml', 'Which YAML versions does the yaml library support?', 'YAML 1.1 and YAML 1.2'),
  en('yaml-2', 'yaml', 'Under which open source license is the yaml library released?', 'ISC'),
  en('yaml-3', 'yaml', "What is the minimum TypeScript version for yaml's typings?", '3.9'),
  en('yaml-4', 'yaml', 'Does the yaml package have external dependencies?', 'no external dependencies'),
  en('yaml-5', 'yaml', 'How do I add yaml to a deno project?', 'deno add jsr:@eemeli/yaml'),

  en('mail-1', 'nodemailer', 'How do I cancel one sendMail() call?', 'AbortSignal'),
  en('mail-2', 'nodemailer', 'What is the default SMTP socket close timeout?', 'default 5000'),
  en('mail-3', 'nodemailer', 'Which Node.js version does Nodemailer 10 need?', 'Node.js 20 or newer'),
  en('mail-4', 'nodemailer', 'Why do I get ETIMEDOUT errors when sending mail?', 'firewall'),
  en('mail-5', 'nodemailer', 'When should the secure option be set to true?', 'only for port 465'),
  en('mail-6', 'nodemailer', 'Under which license is Nodemailer distributed?', 'MIT No Attribution'),
  en('mail-7', 'nodemailer', 'Who designed the Nodemailer logo?', 'Sven Kristjansen'),

  en(
    'lru-1',
    'lru',
    'Which option must be set when max is not specified?',
    'must be set if `max` is not specified',
  ),
  en(
    'lru-2',
    'lru',
    'Are expired cache items pruned preemptively?',
    'no preemptive pruning of expired items',
  ),
  en('lru-3', 'lru', 'What happens when max is set to zero?', 'item count is unbounded'),
  en(
    'lru-4',
    'lru',
    'Which package should I use if I care more about TTL caching than LRU?',
    '@isaacs/ttlcache',
  ),
  en(
    'lru-5',
    'lru',
    'When is storage allocated for the cache items?',
    'storage is allocated for `max` items',
  ),

  en('prom-1', 'prom', 'How do I expose the metrics to a Prometheus scrape?', 'registry.metrics()'),
  en(
    'prom-2',
    'prom',
    'What are the default buckets of the GC duration histogram?',
    '[0.001, 0.01, 0.1, 1, 2, 5]',
  ),
  en('prom-3', 'prom', 'What is the default event loop monitoring precision?', 'Default: 10'),
  en(
    'prom-4',
    'prom',
    'What are the default percentiles of a Summary?',
    '0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999',
  ),
  en(
    'prom-5',
    'prom',
    "How do I combine the metrics of Node's cluster workers?",
    "aggregate all of the workers' metrics in the master process",
  ),
  en(
    'prom-6',
    'prom',
    'Why should collect not be an arrow function?',
    'arrow functions will not have the correct value for `this`',
  ),

  en(
    'h2t-1',
    'h2t',
    'After how many characters are lines wrapped by default?',
    'After how many chars a line break should follow',
  ),
  en('h2t-2', 'h2t', 'What Node.js version does html-to-text 10 require?', 'Node.js 20.19.0'),
  en(
    'h2t-3',
    'h2t',
    'What is recommended when converting many HTML documents with the same options?',
    'once to convert many documents with the same options',
  ),
  en('h2t-4', 'h2t', 'What is the default maxInputLength?', '16_777_216'),
  en('h2t-5', 'h2t', 'Are newlines of the input HTML kept in the text?', 'collapsed into space'),
  en('h2t-6', 'h2t', 'Which package provides the html-to-text command line interface?', '@html-to/text-cli'),

  en('mammoth-1', 'mammoth', 'What does a paragraph styled Heading 1 become in the HTML?', '`h1` elements'),
  en('mammoth-2', 'mammoth', 'Does mammoth sanitise the documents it converts?', 'no sanitisation'),
  en('mammoth-3', 'mammoth', 'How can the CLI write images to separate files?', '--output-dir'),
  en('mammoth-4', 'mammoth', 'Can mammoth still produce Markdown?', 'Markdown support is deprecated'),
  en(
    'mammoth-5',
    'mammoth',
    'How do I allow access to external files when converting?',
    'externalFileAccess',
  ),
  en('mammoth-6', 'mammoth', 'How are text boxes converted?', 'treated as a separate paragraph'),

  en('gpt-1', 'gpt', 'Which encoding do GPT-4o models use?', 'GPT-4.1 and GPT-4o models'),
  en('gpt-2', 'gpt', 'How many merged token pairs does the merge cache keep by default?', '100,000'),
  en('gpt-3', 'gpt', 'How do I disable the merge cache completely?', 'setMergeCacheSize(0)'),
  en(
    'gpt-4',
    'gpt',
    'What does isWithinTokenLimit return when the text is over the limit?',
    'Returns `false` if the limit is exceeded',
  ),
  en('gpt-5', 'gpt', 'Which library is gpt-tokenizer ported from?', 'tiktoken'),
  en('gpt-6', 'gpt', 'Which encoding do the gpt-oss models use?', 'o200k_harmony'),

  en(
    'cannon-1',
    'autocannon',
    'How many concurrent connections does the load test use by default?',
    'The number of concurrent connections to use. default: 10',
  ),
  en(
    'cannon-2',
    'autocannon',
    'How long does an autocannon run last by default?',
    'The number of seconds to run the autocannon. default: 10',
  ),
  en('cannon-3', 'autocannon', 'Which flag prints the results as newline delimited JSON?', '-j/--json'),
  en('cannon-4', 'autocannon', 'How do I fire requests from several worker threads?', '-w/--workers'),
  en('cannon-5', 'autocannon', 'What should I use when autocannon saturates the CPU?', 'wrk2'),
  en('cannon-6', 'autocannon', 'Does wrk support pipelining?', 'does not support HTTP/1.1 pipelining'),

  en('rate-1', 'ratelimit', 'Which status code is returned when a client exceeds the rate limit?', '429'),
  en('rate-2', 'ratelimit', 'How many requests does the rate limiter allow by default?', 'default 1000'),
  en('rate-3', 'ratelimit', 'Which response header says how many requests remain?', 'x-ratelimit-remaining'),
  en(
    'rate-4',
    'ratelimit',
    'How can I stop attackers guessing URLs through 404 responses?',
    'setNotFoundHandler',
  ),
  en('rate-5', 'ratelimit', 'Which plugin versions are compatible with Fastify 5?', '`>=10.x`'),
  en('rate-6', 'ratelimit', 'Which hook does the rate limiter use by default?', "default 'onRequest'"),

  en(
    'pgv-1',
    'pgvector',
    'How do I register the vector types for every client of a pool?',
    "pool.on('connect'",
  ),
  en('pgv-2', 'pgvector', 'Which operator class gives cosine distance?', 'vector_cosine_ops'),
  en('pgv-3', 'pgvector', 'How do I insert a vector with node-postgres?', 'pgvector.toSql([1, 2, 3])'),
  en('pgv-4', 'pgvector', 'Is there an example of using pgvector with PGLite?', 'WebAssembly with PGLite'),
  en('pgv-5', 'pgvector', 'How do I build an approximate nearest neighbour index?', 'USING hnsw'),

  en('fastify-1', 'fastify', 'How do I generate a new Fastify project?', 'npm init fastify'),
  en('fastify-2', 'fastify', 'Which interface does listen bind to by default?', 'binds to the local host'),
  en('fastify-3', 'fastify', 'Which frameworks inspired Fastify?', 'inspired by Hapi and Express'),
  en('fastify-4', 'fastify', 'Which release does the main branch of Fastify refer to?', '`v5` release'),
  en('fastify-5', 'fastify', 'Which address should Fastify listen on inside a Docker container?', '0.0.0.0'),

  fa('hr-1', 'hr', 'هر کارمند در سال چند روز مرخصی با حقوق دارد؟', '26 روز مرخصی با حقوق'),
  fa('hr-2', 'hr', 'حقوق ماهانه چه روزی واریز می‌شود؟', 'روز 25 به حساب بانکی'),
  fa('hr-3', 'hr', 'براي غيبت بيش از ۳ روز چه مدركي لازم است؟', 'گواهی پزشک'),
  fa('hr-4', 'hr', 'پدران چند روز مرخصی پدری می‌گیرند؟', '14 روز مرخصی پدری'),
  fa('hr-5', 'hr', 'سقف هزینه‌ی ناهار چقدر است؟', '350 هزار تومان'),
  fa('hr-6', 'hr', 'تجهيزات كاركنان هر چند سال نو مي‌شوند؟', 'هر 4 سال'),
  fa('hr-7', 'hr', 'جلسه‌ی صبحگاهی ساعت چند است؟', '9:30'),

  fa('backup-1', 'backup', 'پشتیبان کامل چه ساعتی گرفته می‌شود؟', 'ساعت 2 بامداد'),
  fa('backup-2', 'backup', 'نسخه‌های پشتیبان روزانه چند روز نگه داشته می‌شوند؟', '35 روز'),
  fa('backup-3', 'backup', 'کلید رمزنگاری پشتیبان‌ها کجا نگهداری می‌شود؟', 'گاوصندوق Vault'),
  fa('backup-4', 'backup', 'هدف نقطه‌ی بازیابی سامانه‌ی فروش چند دقیقه است؟', '15 دقیقه'),
  fa('backup-5', 'backup', 'مرکز داده‌ی دوم در کدام شهر است؟', 'تبریز'),
  fa('backup-6', 'backup', 'اگر پشتيبان تا ساعت ۶ صبح تمام نشود چه مي‌شود؟', 'هشدار BackupLate'),

  fa('billing-1', 'billing', 'طرح پایه ماهانه چقدر هزینه دارد؟', '490 هزار تومان'),
  fa('billing-2', 'billing', 'پرداخت سالانه چند درصد تخفیف دارد؟', '20 درصد تخفیف'),
  fa('billing-3', 'billing', 'تا چند روز پس از خرید مي‌توانم بازپرداخت بگيرم؟', '14 روز پس از خرید'),
  fa('billing-4', 'billing', 'فاکتور رسمی چه مدت پس از پرداخت صادر می‌شود؟', '48 ساعت'),
  fa('billing-5', 'billing', 'کدام مشتریان پشتیبانی تلفنی 24 ساعته دارند؟', 'مشتریان طرح حرفه‌ای'),
  fa('billing-6', 'billing', 'اگر صورتحساب را ۱۰ روز پرداخت نکنیم چه می‌شود؟', 'فقط‌خواندنی'),
];

export const FOLLOW_UPS: FollowUp[] = [
  {
    id: 'fu-mail',
    lang: 'en',
    first: 'How do I cancel a sendMail call in Nodemailer?',
    followUp: 'Which error code does it report then?',
    doc: 'nodemailer',
    fact: 'EABORT',
  },
  {
    id: 'fu-rate',
    lang: 'en',
    first: 'What is the default max of @fastify/rate-limit?',
    followUp: 'And the default time window?',
    doc: 'ratelimit',
    fact: 'default 1000 * 60',
  },
  {
    id: 'fu-argon2',
    lang: 'en',
    first: 'How do I force node-argon2 to build from source?',
    followUp: 'And how do I rebuild the binaries by hand?',
    doc: 'argon2',
    fact: 'node-pre-gyp rebuild',
  },
  {
    id: 'fu-lru',
    lang: 'en',
    first: 'Does lru-cache delete expired items by itself?',
    followUp: 'How can I make it purge them automatically?',
    doc: 'lru',
    fact: 'ttlAutopurge',
  },
  {
    id: 'fu-fastify',
    lang: 'en',
    first: 'Which command generates a new Fastify project?',
    followUp: 'How do I start it in dev mode?',
    doc: 'fastify',
    fact: 'npm run dev',
  },
  {
    id: 'fu-h2t',
    lang: 'en',
    first: 'Does html-to-text wrap words by default?',
    followUp: 'How do I turn that off?',
    doc: 'h2t',
    fact: 'to disable word-wrapping',
  },
  {
    id: 'fu-cannon',
    lang: 'en',
    first: 'How many connections does autocannon open by default?',
    followUp: 'And how long does it run?',
    doc: 'autocannon',
    fact: 'The number of seconds to run the autocannon',
  },
  {
    id: 'fu-gpt',
    lang: 'en',
    first: 'Which encoding does gpt-tokenizer use for GPT-4o?',
    followUp: 'And which one for gpt-3.5?',
    doc: 'gpt',
    fact: '`gpt-3.5-*` (`cl100k_base`)',
  },
  {
    id: 'fu-mammoth',
    lang: 'en',
    first: 'Does mammoth sanitise the documents it converts?',
    followUp: 'What can go wrong with links then?',
    doc: 'mammoth',
    fact: 'javascript:',
  },
  {
    id: 'fu-prom',
    lang: 'en',
    first: 'How do I collect the default metrics with prom-client?',
    followUp: 'And how do I put a prefix on their names?',
    doc: 'prom',
    fact: 'To prefix metric names',
  },
  {
    id: 'fu-hr',
    lang: 'fa',
    first: 'هر کارمند چند روز مرخصی سالانه دارد؟',
    followUp: 'و مرخصی استعلاجی چطور؟',
    doc: 'hr',
    fact: '12 روز مرخصی استعلاجی',
  },
  {
    id: 'fu-backup',
    lang: 'fa',
    first: 'پشتیبان‌ها با چه کلیدی رمزنگاری می‌شوند؟',
    followUp: 'چه کسانی به آن دسترسی دارند؟',
    doc: 'backup',
    fact: 'دو نفر از سرپرستان عملیات',
  },
];

export const UNANSWERABLE: Unanswerable[] = [
  { id: 'none-1', lang: 'en', question: 'What is the boiling point of mercury?' },
  { id: 'none-2', lang: 'en', question: 'How do I configure Kafka consumer groups?' },
  { id: 'none-3', lang: 'en', question: 'Who won the 1998 football World Cup?' },
  { id: 'none-4', lang: 'en', question: 'How long should sourdough bread rise before baking?' },
  { id: 'none-5', lang: 'en', question: 'What is the capital city of Australia?' },
  { id: 'none-6', lang: 'en', question: 'How do I replace the battery of my car key?' },
  { id: 'none-7', lang: 'fa', question: 'دمای ذوب آهن چند درجه است؟' },
  { id: 'none-8', lang: 'fa', question: 'بهترین فصل سفر به شیراز کدام است؟' },
  { id: 'none-9', lang: 'fa', question: 'دستور پخت قورمه‌سبزی چیست؟' },
];
