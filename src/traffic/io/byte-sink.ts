// Sequential byte output for the capture writers: a file written through one
// reusable buffer, or memory collected into one array at the end.
import { closeSync, openSync, writeSync } from "node:fs";

export interface ByteSink {
  readonly bytesWritten: number;
  // Copies `bytes`; the caller may reuse its array afterwards.
  write(bytes: Uint8Array): void;
  close(): void;
}

export interface MemorySink extends ByteSink {
  // Everything written so far, as one array.
  bytes(): Uint8Array;
}

const FILE_BUFFER_BYTES = 1 << 20;

export function memorySink(): MemorySink {
  const chunks: Uint8Array[] = [];
  let total = 0;
  return {
    get bytesWritten() {
      return total;
    },
    write(bytes) {
      chunks.push(bytes.slice());
      total += bytes.length;
    },
    close() {},
    bytes() {
      const joined = new Uint8Array(total);
      let at = 0;
      for (const chunk of chunks) {
        joined.set(chunk, at);
        at += chunk.length;
      }
      return joined;
    },
  };
}

// Creates (or truncates) `path`; node's own error (ENOENT, EACCES) propagates.
export function fileSink(path: string): ByteSink {
  return new FileSink(openSync(path, "w"));
}

class FileSink implements ByteSink {
  private fd: number | undefined;
  private readonly buffer = new Uint8Array(FILE_BUFFER_BYTES);
  private used = 0;
  private total = 0;

  constructor(fd: number) {
    this.fd = fd;
  }

  get bytesWritten(): number {
    return this.total;
  }

  write(bytes: Uint8Array): void {
    if (this.fd === undefined) throw new Error("write after close");
    this.total += bytes.length;
    if (this.used + bytes.length > this.buffer.length) this.flush();
    if (bytes.length >= this.buffer.length) {
      writeAll(this.fd, bytes);
      return;
    }
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }

  private flush(): void {
    if (this.fd === undefined || this.used === 0) return;
    writeAll(this.fd, this.buffer.subarray(0, this.used));
    this.used = 0;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
}
