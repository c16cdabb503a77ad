/** One DER element: where its header starts, where its contents start, and where it ends (exclusive). */
export interface DerElement {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/**
 * Read the DER element at `offset` of `bytes` (definite lengths only, as DER requires).
 * @throws Error when the bytes are not a well-formed element inside `limit`
 */
export function readDerElement(bytes: Uint8Array, offset: number, limit = bytes.length): DerElement {
  if (offset + 2 > limit) throw new Error('truncated DER element');
  const tag = bytes[offset];
  // Multi-byte tags never occur in the structures read here.
  if ((tag & 0x1f) === 0x1f) throw new Error('unsupported DER tag');
  let length = bytes[offset + 1];
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || contentStart + count > limit) throw new Error('bad DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[contentStart + i];
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new Error('truncated DER element');
  return { tag, start: offset, contentStart, end };
}

/** The elements directly inside a constructed element. */
export function derChildren(bytes: Uint8Array, parent: DerElement): DerElement[] {
  const children: DerElement[] = [];
  let offset = parent.contentStart;
  while (offset < parent.end) {
    const child = readDerElement(bytes, offset, parent.end);
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** A view of an element's full encoding (header and contents). */
export function derBytes(bytes: Buffer, element: DerElement): Buffer {
  return bytes.subarray(element.start, element.end);
}
