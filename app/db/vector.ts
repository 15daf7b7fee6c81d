/**
 * pgvector values in PostgreSQL's binary format, which node-postgres sends for a Buffer parameter. As text a
 * 512-dimension vector is about 10 kB that the embedded database receives and parses with strtof in WASM
 * (`SELECT $1::vector`: 1.4 ms as text, 0.6 ms in binary; for a document's chunks, longer than storing them).
 *
 * A vector (vector_recv) is int16 dimensions, int16 zero, then big-endian float4s, each component rounded to the
 * nearest float4 as pgvector does for any input.
 */

const vectorBytes = (v: ArrayLike<number>) => 4 + 4 * v.length;

function writeVector(buf: Buffer, offset: number, v: ArrayLike<number>): number {
  let o = buf.writeInt16BE(v.length, offset);
  o = buf.writeInt16BE(0, o);
  for (let i = 0; i < v.length; i++) o = buf.writeFloatBE(v[i]!, o);
  return o;
}

/** One vector, for a `$n::vector` parameter. */
export function encodeVector(v: ArrayLike<number>): Buffer {
  const buf = Buffer.allocUnsafe(vectorBytes(v));
  writeVector(buf, 0, v);
  return buf;
}

/**
 * A one-dimensional `vector[]` (array_recv of vector_recv elements), for a `$n::vector[]` parameter.
 * `vectorTypeOid` is `'vector'::regtype`: the extension's type has no fixed oid.
 */
export function encodeVectorArray(vectors: ArrayLike<number>[], vectorTypeOid: number): Buffer {
  let size = 20;
  for (const v of vectors) size += 4 + vectorBytes(v);
  const buf = Buffer.allocUnsafe(size);
  let o = buf.writeInt32BE(1, 0); // dimensions of the array
  o = buf.writeInt32BE(0, o); // no NULLs
  o = buf.writeUInt32BE(vectorTypeOid, o);
  o = buf.writeInt32BE(vectors.length, o);
  o = buf.writeInt32BE(1, o); // lower bound
  for (const v of vectors) {
    o = buf.writeInt32BE(vectorBytes(v), o);
    o = writeVector(buf, o, v);
  }
  return buf;
}
