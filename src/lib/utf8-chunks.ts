// Cuts a byte stream into chunks that end on UTF-8 character boundaries, so every frame
// can be decoded on its own. Bytes that are not UTF-8 at all pass through unchanged (the
// reader decodes them as U+FFFD, or sends base64).

/** How many bytes at the end of `buf` start a multi-byte sequence that is not complete yet. */
export function incompleteTail(buf: Buffer): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const byte = buf[buf.length - back];
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back
    // Only C2-DF, E0-EF and F0-F4 can start a valid sequence; any other byte is never
    // completed by what follows, so holding it back would only delay it.
    const need = byte >= 0xc2 && byte <= 0xdf ? 2 : byte >= 0xe0 && byte <= 0xef ? 3 : byte >= 0xf0 && byte <= 0xf4 ? 4 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

export function createUtf8Chunker() {
  let held = Buffer.alloc(0);
  return {
    /** The part of `chunk` (after what was held) that ends on a boundary. */
    push(chunk: Buffer): Buffer {
      const data = held.length > 0 ? Buffer.concat([held, chunk]) : chunk;
      const cut = data.length - incompleteTail(data);
      held = Buffer.from(data.subarray(cut));
      return data.subarray(0, cut);
    },
    /** Whatever is still held at the end of the stream. */
    flush(): Buffer {
      const rest = held;
      held = Buffer.alloc(0);
      return rest;
    },
  };
}
