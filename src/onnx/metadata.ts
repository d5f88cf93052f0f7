// A ModelProto's metadata_props (field 14: StringStringEntryProto, key = 1, value = 2) read straight from the
// protobuf wire format: the top-level fields are skipped by their lengths, so the graph is not decoded twice.
// Malformed bytes give what was read so far: the full decode (proto.ts) reports the model as invalid.

const METADATA_PROPS = 14;

export function modelMetadata(bytes: Uint8Array): Map<string, string> {
  const props = new Map<string, string>();
  const text = new TextDecoder('utf-8', { fatal: false });
  let at = 0;
  const varint = (end: number): number | undefined => {
    let v = 0, mul = 1;
    while (at < end) {
      const b = bytes[at++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
      if (mul > 2 ** 63) return undefined;
    }
    return undefined;
  };
  /** Skips or reads one field; returns [field number, bytes of a length-delimited field] or undefined at a malformed field. */
  const field = (end: number): [number, Uint8Array | undefined] | undefined => {
    const key = varint(end);
    if (key === undefined) return undefined;
    const wire = key % 8, num = Math.floor(key / 8);
    if (wire === 0) return varint(end) === undefined ? undefined : [num, undefined];
    if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
      return at <= end ? [num, undefined] : undefined;
    }
    if (wire === 2) {
      const n = varint(end);
      if (n === undefined || at + n > end) return undefined;
      const body = bytes.subarray(at, at + n);
      at += n;
      return [num, body];
    }
    return undefined;
  };
  while (at < bytes.length) {
    const f = field(bytes.length);
    if (!f) break;
    if (f[0] !== METADATA_PROPS || !f[1]) continue;
    const entry = f[1];
    const outer = at, saved = bytes;
    let key = '', value = '';
    // read the entry's own fields within its bounds
    const start = entry.byteOffset - saved.byteOffset;
    at = start;
    while (at < start + entry.length) {
      const g = field(start + entry.length);
      if (!g) break;
      if (g[0] === 1 && g[1]) key = text.decode(g[1]);
      if (g[0] === 2 && g[1]) value = text.decode(g[1]);
    }
    at = outer;
    props.set(key, value);
  }
  return props;
}
