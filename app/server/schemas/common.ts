import { type Static, Type } from 'typebox';

export const ErrorResponse = Type.Object(
  { error: Type.String({ description: 'Stable machine-readable code' }), message: Type.String() },
  { $id: 'ErrorResponse' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

export const Uuid = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Uuid });
export type IdParams = Static<typeof IdParams>;
