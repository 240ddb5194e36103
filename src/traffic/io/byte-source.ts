// Sequential byte input for the capture readers: a file read through one
// reusable buffer (memory stays flat however long the file), or a buffer
// already in memory. Reads return views that stay valid until the next call.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

export interface ByteSource {
  // The name used in error messages (the file's path, or a label for a buffer).
  readonly name: string;
  // Bytes consumed so far: the offset of the next byte `read` returns.
  readonly offset: number;
  // The total size when known (a regular file or a buffer); undefined for a pipe.
  readonly sizeBytes: number | undefined;
  // The next `count` bytes, or fewer only when the input ends first.
  read(count: number): Uint8Array;
  // Moves past `count` bytes; returns how many there were (fewer only at the end).
  skip(count: number): number;
  close(): void;
}

const FILE_BUFFER_BYTES = 1 << 20;

export function bufferSource(bytes: Uint8Array, name: string): ByteSource {
  let position = 0;
  return {
    name,
    get offset() {
      return position;
    },
    sizeBytes: bytes.length,
    read(count) {
      const view = bytes.subarray(position, Math.min(bytes.length, position + count));
      position += view.length;
      return view;
    },
    skip(count) {
      const skipped = Math.min(count, bytes.length - position);
      position += skipped;
      return skipped;
    },
    close() {},
  };
}

// Opens `path` for sequential reading; node's own error (ENOENT, EACCES) propagates.
// The buffer grows past `bufferBytes` only for a single larger read.
export function fileSource(path: string, bufferBytes = FILE_BUFFER_BYTES): ByteSource {
  const fd = openSync(path, "r");
  let sizeBytes: number | undefined;
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) throw Object.assign(new Error(`${path} is a directory`), { code: "EISDIR", path });
    sizeBytes = stats.isFile() ? stats.size : undefined;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return new FileSource(path, fd, sizeBytes, bufferBytes);
}

class FileSource implements ByteSource {
  readonly name: string;
  readonly sizeBytes: number | undefined;
  private fd: number | undefined;
  private buffer: Uint8Array;
  private start = 0;
  private end = 0;
  // Where the next readSync reads, for a regular file (positional reads make skipping free).
  private filePosition = 0;
  private consumed = 0;

  constructor(name: string, fd: number, sizeBytes: number | undefined, bufferBytes: number) {
    this.name = name;
    this.buffer = new Uint8Array(bufferBytes);
    this.fd = fd;
    this.sizeBytes = sizeBytes;
  }

  get offset(): number {
    return this.consumed;
  }

  read(count: number): Uint8Array {
    if (this.end - this.start < count) this.fill(count);
    const length = Math.min(count, this.end - this.start);
    const view = this.buffer.subarray(this.start, this.start + length);
    this.start += length;
    this.consumed += length;
    return view;
  }

  skip(count: number): number {
    const buffered = Math.min(count, this.end - this.start);
    this.start += buffered;
    this.consumed += buffered;
    let remaining = count - buffered;
    if (remaining === 0) return count;
    if (this.sizeBytes !== undefined) {
      const jump = Math.min(remaining, this.sizeBytes - this.filePosition);
      this.filePosition += jump;
      this.consumed += jump;
      return buffered + jump;
    }
    while (remaining > 0) {
      const chunk = this.read(Math.min(remaining, this.buffer.length));
      if (chunk.length === 0) break;
      remaining -= chunk.length;
    }
    return count - remaining;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  // Makes at least `count` bytes available from `start`, unless the file ends first.
  private fill(count: number): void {
    if (this.fd === undefined) return;
    this.buffer.copyWithin(0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
    if (count > this.buffer.length) {
      const grown = new Uint8Array(Math.max(count, this.buffer.length * 2));
      grown.set(this.buffer.subarray(0, this.end));
      this.buffer = grown;
    }
    while (this.end < count) {
      const position = this.sizeBytes === undefined ? null : this.filePosition;
      const got = readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, position);
      if (got === 0) break;
      this.end += got;
      this.filePosition += got;
    }
  }
}
