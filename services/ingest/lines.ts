// Splitting a byte stream into lines with a hard cap per line, so one 50 MB line costs a bounded
// amount of memory: past the cap only its first `keepBytes` (for the DLQ) and its length are kept.

export type Line =
  | { kind: 'line'; number: number; bytes: Buffer }
  | { kind: 'too_long'; number: number; head: Buffer; length: number };

export async function* splitLines(
  source: AsyncIterable<Uint8Array>,
  maxLineBytes: number,
  keepBytes: number,
): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let length = 0;
  let overflow = false;
  let number = 0;

  const take = (piece: Buffer) => {
    if (piece.length === 0) return;
    if (!overflow && length + piece.length > maxLineBytes) {
      // Keep only a head for the dead letter; drop everything else as it streams past.
      const head = Buffer.concat(parts, length);
      parts = [head.length >= keepBytes ? head.subarray(0, keepBytes) : head];
      overflow = true;
    }
    if (overflow) {
      const kept = parts[0]?.length ?? 0;
      if (kept < keepBytes)
        parts = [Buffer.concat([parts[0] ?? Buffer.alloc(0), piece.subarray(0, keepBytes - kept)])];
    } else parts.push(piece);
    length += piece.length;
  };
  const finish = (): Line => {
    number++;
    let line: Line;
    if (overflow) line = { kind: 'too_long', number, head: parts[0] ?? Buffer.alloc(0), length };
    else {
      let bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, length);
      if (bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
      line = { kind: 'line', number, bytes };
    }
    parts = [];
    length = 0;
    overflow = false;
    return line;
  };

  for await (const chunk of source) {
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      take(buf.subarray(start, nl));
      yield finish();
      start = nl + 1;
    }
    // Copy the tail: the stream may reuse its chunk buffer.
    if (start < buf.length) take(Buffer.from(buf.subarray(start)));
  }
  if (length > 0 || overflow) yield finish();
}
