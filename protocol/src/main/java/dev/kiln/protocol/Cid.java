package dev.kiln.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * A CIDv1 with a sha2-256 multihash: {@code varint(1) varint(codec) varint(0x12) varint(32)
 * digest}. Kiln knows two codecs, dag-cbor (0x71) and raw (0x55). The text form is multibase
 * base32 (prefix {@code b}, lower case, no padding), so a dag-cbor CID reads {@code bafyrei…}.
 *
 * <p>Equality, hashing and ordering all follow the binary form; ordering is unsigned
 * lexicographic over those bytes.
 */
public final class Cid implements Comparable<Cid> {
  public static final int VERSION = 1;
  public static final int DAG_CBOR = 0x71;
  public static final int RAW = 0x55;
  public static final int SHA2_256 = 0x12;
  public static final int SHA2_256_LENGTH = 32;

  private static final char MULTIBASE_BASE32 = 'b';
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(Cid::newSha256);

  private final byte[] bytes;
  private final int codec;
  private final int hashCode;

  private Cid(byte[] bytes, int codec) {
    this.bytes = bytes;
    this.codec = codec;
    this.hashCode = Arrays.hashCode(bytes);
  }

  /** The CID of {@code content} under {@code codec}: hashes the content with sha2-256. */
  public static Cid of(int codec, byte[] content) {
    return fromDigest(codec, sha256(content));
  }

  /** The CID of {@code content} as dag-cbor. */
  public static Cid dagCbor(byte[] content) {
    return of(DAG_CBOR, content);
  }

  /** The CID of {@code content} as raw bytes. */
  public static Cid raw(byte[] content) {
    return of(RAW, content);
  }

  /** A CID from a codec and a sha2-256 digest already computed. */
  public static Cid fromDigest(int codec, byte[] digest) {
    requireKnownCodec(codec);
    if (digest.length != SHA2_256_LENGTH) {
      throw new InvalidCidException(
          "CID digest: sha2-256 digest must be " + SHA2_256_LENGTH + " bytes, got " + digest.length);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(36);
    Varint.write(VERSION, out);
    Varint.write(codec, out);
    Varint.write(SHA2_256, out);
    Varint.write(SHA2_256_LENGTH, out);
    out.writeBytes(digest);
    return new Cid(out.toByteArray(), codec);
  }

  /** Parses the binary form; every byte must belong to the CID. */
  public static Cid fromBytes(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    Cid cid = read(in);
    if (in.hasRemaining()) {
      throw new InvalidCidException(
          "CID: " + in.remaining() + " trailing byte(s) after a complete CID of " + in.position() + " bytes");
    }
    return cid;
  }

  /**
   * Reads one binary CID at the buffer's position and advances past it (CAR sections hold a CID
   * followed directly by the block's bytes).
   */
  public static Cid read(ByteBuffer in) {
    int start = in.position();
    if (in.hasRemaining() && in.get(start) == 0x12) {
      throw new InvalidCidException("CID version: CIDv0 (a bare sha2-256 multihash) is not supported, only CIDv1");
    }
    long version = readVarint(in, "CID version");
    if (version != VERSION) {
      throw new InvalidCidException("CID version: expected 1, got " + version);
    }
    long codec = readVarint(in, "CID codec");
    if (codec != DAG_CBOR && codec != RAW) {
      throw new InvalidCidException(
          "CID codec: unknown codec 0x" + Long.toHexString(codec) + " (Kiln reads dag-cbor 0x71 and raw 0x55)");
    }
    long hash = readVarint(in, "CID multihash code");
    if (hash != SHA2_256) {
      throw new InvalidCidException(
          "CID multihash code: unsupported hash 0x" + Long.toHexString(hash) + " (Kiln uses sha2-256 0x12)");
    }
    long length = readVarint(in, "CID digest length");
    if (length != SHA2_256_LENGTH) {
      throw new InvalidCidException(
          "CID digest length: sha2-256 digest must be 32 bytes, header says " + length);
    }
    if (in.remaining() < SHA2_256_LENGTH) {
      throw new InvalidCidException(
          "CID digest: needs 32 bytes, only " + in.remaining() + " remain");
    }
    in.position(in.position() + SHA2_256_LENGTH);
    byte[] bytes = new byte[in.position() - start];
    in.get(start, bytes);
    return new Cid(bytes, (int) codec);
  }

  /**
   * Parses the multibase text form; only base32 ({@code b…}) is accepted. Delegating mode: with
   * parameter names compiled in, Jackson would otherwise look for a property called "text".
   */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static Cid parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new InvalidCidException("CID text: empty");
    }
    if (text.startsWith("Qm")) {
      throw new InvalidCidException("CID text: CIDv0 (base58 'Qm…') is not supported, only CIDv1");
    }
    char prefix = text.charAt(0);
    if (prefix != MULTIBASE_BASE32) {
      throw new InvalidCidException(
          "CID multibase prefix: expected 'b' (base32 lower case), got '" + prefix + "'");
    }
    String body = text.substring(1);
    if (!body.equals(body.toLowerCase(java.util.Locale.ROOT))) {
      throw new InvalidCidException("CID text: base32 must be lower case: " + text);
    }
    byte[] bytes;
    try {
      bytes = Base32.decode(body);
    } catch (IllegalArgumentException e) {
      throw new InvalidCidException("CID text: not valid base32: " + text, e);
    }
    return fromBytes(bytes);
  }

  /** A copy of the binary form. */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** Length of the binary form in bytes. */
  public int byteLength() {
    return bytes.length;
  }

  /** Writes the binary form. */
  public void writeTo(ByteArrayOutputStream out) {
    out.writeBytes(bytes);
  }

  public int codec() {
    return codec;
  }

  /** A copy of the 32-byte sha2-256 digest. */
  public byte[] digest() {
    return Arrays.copyOfRange(bytes, bytes.length - SHA2_256_LENGTH, bytes.length);
  }

  /** True when {@code content} hashes to this CID's digest. */
  public boolean matches(byte[] content) {
    return matches(content, 0, content.length);
  }

  public boolean matches(byte[] content, int offset, int length) {
    MessageDigest sha = SHA256.get();
    sha.update(content, offset, length);
    byte[] d = sha.digest();
    return Arrays.equals(d, 0, SHA2_256_LENGTH, bytes, bytes.length - SHA2_256_LENGTH, bytes.length);
  }

  @JsonValue
  @Override
  public String toString() {
    return MULTIBASE_BASE32 + Base32.encode(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cid other && hashCode == other.hashCode && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return hashCode;
  }

  @Override
  public int compareTo(Cid o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  public static byte[] sha256(byte[] content) {
    return SHA256.get().digest(content);
  }

  private static void requireKnownCodec(int codec) {
    if (codec != DAG_CBOR && codec != RAW) {
      throw new InvalidCidException(
          "CID codec: unknown codec 0x" + Integer.toHexString(codec) + " (Kiln writes dag-cbor 0x71 and raw 0x55)");
    }
  }

  private static long readVarint(ByteBuffer in, String what) {
    try {
      return Varint.read(in, what);
    } catch (Varint.InvalidVarintException e) {
      throw new InvalidCidException(e.getMessage(), e);
    }
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }
}
