package dev.kiln.bench.workload;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's IO counters from {@code /proc/self/io} (Linux): {@code rchar}/{@code wchar} count
 * every byte passed to read/write calls (page cache hits included), {@code read_bytes}/{@code
 * write_bytes} what reached or came from the storage layer. All -1 where the file is missing.
 */
record ProcIo(long rchar, long wchar, long readBytes, long writeBytes) {
  static ProcIo now() {
    long rchar = -1;
    long wchar = -1;
    long readBytes = -1;
    long writeBytes = -1;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
        int colon = line.indexOf(':');
        if (colon < 0) {
          continue;
        }
        long value = Long.parseLong(line.substring(colon + 1).trim());
        switch (line.substring(0, colon)) {
          case "rchar" -> rchar = value;
          case "wchar" -> wchar = value;
          case "read_bytes" -> readBytes = value;
          case "write_bytes" -> writeBytes = value;
          default -> { }
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or no access: the figures read -1.
    }
    return new ProcIo(rchar, wchar, readBytes, writeBytes);
  }

  /** Counters since {@code before}. */
  ProcIo since(ProcIo before) {
    return new ProcIo(rchar - before.rchar, wchar - before.wchar, readBytes - before.readBytes, writeBytes - before.writeBytes);
  }
}
