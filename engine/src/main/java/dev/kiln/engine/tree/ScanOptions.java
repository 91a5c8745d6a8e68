package dev.kiln.engine.tree;

import java.util.Arrays;

/**
 * Which entries a {@link ProllyTree#scan} returns, and in which order.
 *
 * <p>{@code start} is where the scan begins and {@code end} where it stops, in the scan's own
 * direction, as CouchDB's {@code startkey}/{@code endkey}: ascending, {@code start} is the low
 * bound; with {@code descending}, {@code start} is the HIGH bound and {@code end} the low one.
 * {@code startInclusive}/{@code endInclusive} say whether a key equal to that bound is returned.
 * {@code prefix} keeps only keys that begin with those bytes; it combines with {@code start} and
 * {@code end} (all must hold). Null {@code start}, {@code end} or {@code prefix} means no such
 * bound. {@code limit <= 0} means no limit.
 */
public record ScanOptions(byte[] start, byte[] end, byte[] prefix, int limit, boolean descending,
                          boolean startInclusive, boolean endInclusive) {

  private static final ScanOptions ALL = new ScanOptions(null, null, null, 0, false, true, true);

  /** Every entry, ascending. */
  public static ScanOptions all() {
    return ALL;
  }

  /** Keys from {@code start} (inclusive) to {@code end} (exclusive), ascending; either may be null. */
  public static ScanOptions range(byte[] start, byte[] end) {
    return new ScanOptions(start, end, null, 0, false, true, false);
  }

  /** Keys that begin with {@code prefix}, ascending. */
  public static ScanOptions withPrefix(byte[] prefix) {
    return ALL.prefix(prefix);
  }

  /** Begin at {@code start}, inclusive. */
  public ScanOptions start(byte[] start) {
    return start(start, true);
  }

  public ScanOptions start(byte[] start, boolean inclusive) {
    return new ScanOptions(start, end, prefix, limit, descending, inclusive, endInclusive);
  }

  /** Stop at {@code end}, inclusive. */
  public ScanOptions end(byte[] end) {
    return end(end, true);
  }

  public ScanOptions end(byte[] end, boolean inclusive) {
    return new ScanOptions(start, end, prefix, limit, descending, startInclusive, inclusive);
  }

  public ScanOptions prefix(byte[] prefix) {
    return new ScanOptions(start, end, prefix, limit, descending, startInclusive, endInclusive);
  }

  /** At most {@code limit} entries; {@code <= 0} for no limit. */
  public ScanOptions limit(int limit) {
    return new ScanOptions(start, end, prefix, limit, descending, startInclusive, endInclusive);
  }

  /** Highest key first; {@code start} is then the high bound. */
  public ScanOptions descending(boolean descending) {
    return new ScanOptions(start, end, prefix, limit, descending, startInclusive, endInclusive);
  }

  /**
   * Whether a scan with these bounds and prefix (whatever its limit and direction) would return
   * {@code key}: for asking of one key what a scan would say, without scanning.
   */
  public boolean admits(byte[] key) {
    byte[] low = descending ? end : start;
    byte[] high = descending ? start : end;
    boolean lowInclusive = descending ? endInclusive : startInclusive;
    boolean highInclusive = descending ? startInclusive : endInclusive;
    if (low != null) {
      int c = Arrays.compareUnsigned(key, low);
      if (c < 0 || (c == 0 && !lowInclusive)) {
        return false;
      }
    }
    if (high != null) {
      int c = Arrays.compareUnsigned(key, high);
      if (c > 0 || (c == 0 && !highInclusive)) {
        return false;
      }
    }
    return prefix == null || (key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length));
  }

  @Override
  public String toString() {
    return "ScanOptions[start=" + Keys.show(start) + (startInclusive ? " incl" : " excl")
        + ", end=" + Keys.show(end) + (endInclusive ? " incl" : " excl")
        + ", prefix=" + Keys.show(prefix) + ", limit=" + limit + ", descending=" + descending + "]";
  }
}
