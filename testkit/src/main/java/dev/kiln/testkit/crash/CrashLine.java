package dev.kiln.testkit.crash;

/**
 * One line of what a {@link CrashChild} prints on stdout, one event a line. A child prints
 * {@code SEND} before it hands a write to Kiln and {@code ACK} only after Kiln acknowledged it, so
 * every write the database may hold was announced, and every {@code ACK} the parent reads is a
 * promise that the write survives a crash.
 *
 * <pre>
 * READY &lt;lastSeq&gt; &lt;liveDocs&gt;               the database is open; writes start
 * SEND PUT &lt;id&gt; &lt;version&gt;                  about to put {@link CrashDocs#document(String, int)}
 * SEND DEL &lt;id&gt;                            about to delete
 * ACK PUT &lt;id&gt; &lt;version&gt; &lt;seq&gt;             the put was acknowledged with this sequence number
 * ACK DEL &lt;id&gt; &lt;seq&gt;                       the delete was acknowledged
 * FAIL PUT|DEL &lt;id&gt; &lt;code&gt;                 the write failed (it may or may not be stored)
 * COMPACTING &lt;n&gt;                           compaction n was requested
 * COMPACTED &lt;n&gt; &lt;carLogBefore&gt; &lt;carLogAfter&gt;   compaction n finished and was installed
 * COMPACT-FAILED &lt;n&gt; &lt;code&gt;                compaction n failed
 * DELETING &lt;car&gt;                          about to delete a replaced CAR (only with --delete-pause-ms)
 * DELETED &lt;car&gt;                           deleted it
 * </pre>
 *
 * A sequence number of 0 in an {@code ACK} means "not known" (real ones start at 1).
 */
public sealed interface CrashLine {

  /** The line as the child prints it. */
  String format();

  record Ready(long lastSeq, long liveDocs) implements CrashLine {
    public String format() {
      return "READY " + lastSeq + " " + liveDocs;
    }
  }

  /** A write about to be sent: {@code version} is the put's version, 0 for a delete. */
  record Send(boolean delete, String id, int version) implements CrashLine {
    public String format() {
      return delete ? "SEND DEL " + id : "SEND PUT " + id + " " + version;
    }
  }

  /** An acknowledged write. */
  record Ack(boolean delete, String id, int version, long seq) implements CrashLine {
    public String format() {
      return delete ? "ACK DEL " + id + " " + seq : "ACK PUT " + id + " " + version + " " + seq;
    }
  }

  record Fail(boolean delete, String id, String code) implements CrashLine {
    public String format() {
      return "FAIL " + (delete ? "DEL " : "PUT ") + id + " " + code;
    }
  }

  record Compacting(int n) implements CrashLine {
    public String format() {
      return "COMPACTING " + n;
    }
  }

  record Compacted(int n, int carLogBefore, int carLogAfter) implements CrashLine {
    public String format() {
      return "COMPACTED " + n + " " + carLogBefore + " " + carLogAfter;
    }
  }

  record CompactFailed(int n, String code) implements CrashLine {
    public String format() {
      return "COMPACT-FAILED " + n + " " + code;
    }
  }

  /** A replaced (or orphaned) CAR is about to be deleted. */
  record Deleting(String car) implements CrashLine {
    public String format() {
      return "DELETING " + car;
    }
  }

  record Deleted(String car) implements CrashLine {
    public String format() {
      return "DELETED " + car;
    }
  }

  /**
   * Reads one line.
   *
   * @throws IllegalArgumentException naming the line when it is not one of the forms above
   */
  static CrashLine parse(String line) {
    String[] f = line.trim().split(" ");
    try {
      switch (f[0]) {
        case "READY":
          need(f, 3, line);
          return new Ready(Long.parseLong(f[1]), Long.parseLong(f[2]));
        case "SEND":
          if (isDelete(f, line)) {
            need(f, 3, line);
            return new Send(true, f[2], 0);
          }
          need(f, 4, line);
          return new Send(false, f[2], Integer.parseInt(f[3]));
        case "ACK":
          if (isDelete(f, line)) {
            need(f, 4, line);
            return new Ack(true, f[2], 0, Long.parseLong(f[3]));
          }
          need(f, 5, line);
          return new Ack(false, f[2], Integer.parseInt(f[3]), Long.parseLong(f[4]));
        case "FAIL":
          need(f, 4, line);
          return new Fail(isDelete(f, line), f[2], f[3]);
        case "COMPACTING":
          need(f, 2, line);
          return new Compacting(Integer.parseInt(f[1]));
        case "COMPACTED":
          need(f, 4, line);
          return new Compacted(Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]));
        case "COMPACT-FAILED":
          need(f, 3, line);
          return new CompactFailed(Integer.parseInt(f[1]), f[2]);
        case "DELETING":
          need(f, 2, line);
          return new Deleting(f[1]);
        case "DELETED":
          need(f, 2, line);
          return new Deleted(f[1]);
        default:
          throw new IllegalArgumentException("not a crash-child line: '" + line + "'");
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad number in crash-child line '" + line + "': " + e.getMessage(), e);
    }
  }

  private static boolean isDelete(String[] f, String line) {
    if (f.length < 2 || !(f[1].equals("PUT") || f[1].equals("DEL"))) {
      throw new IllegalArgumentException("crash-child line '" + line + "' needs PUT or DEL after " + f[0]);
    }
    return f[1].equals("DEL");
  }

  private static void need(String[] f, int n, String line) {
    if (f.length != n) {
      throw new IllegalArgumentException("crash-child line '" + line + "' has " + f.length + " fields, expected " + n);
    }
  }
}
