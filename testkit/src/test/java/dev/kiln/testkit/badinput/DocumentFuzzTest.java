package dev.kiln.testkit.badinput;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import dev.kiln.testkit.TestKiln;
import dev.kiln.testkit.crash.CrashDocs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Documents from the edges of what JSON can say, through the facade and through the byte path a
 * client uses (Jackson reading raw bytes, which may not be valid UTF-8): deep nesting, huge strings,
 * numbers no 64-bit integer or double holds, NaN and infinities, ids that are empty, too long, hold
 * control characters or lone surrogates, or are no string at all. Every one is either stored exactly
 * (get answers the same JSON) or refused with a typed error that says why, and a refused one changes
 * nothing: the sequence number stays, and another database keeps working. Seeded: a failure replays
 * with the seed jqwik prints.
 */
class DocumentFuzzTest {
  static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  /** The mapper a client (the CLI) reads JSON with: Jackson's defaults. */
  static final ObjectMapper CLIENT = new ObjectMapper();
  static final Set<ErrorCode> REFUSALS = EnumSet.of(ErrorCode.INVALID_DOCUMENT, ErrorCode.INVALID_ID, ErrorCode.DOCUMENT_TOO_LARGE);

  static final Map<String, Integer> OUTCOMES = new java.util.concurrent.ConcurrentHashMap<>();
  static Path dir;
  static Kiln kiln;
  static Database db;
  static Database bystander;

  @BeforeContainer
  static void start() throws IOException {
    dir = Files.createTempDirectory("kiln-fuzz-");
    kiln = TestKiln.start(dir, Map.of("kiln.car.fsync", "off", "kiln.max-doc-bytes", "64 KiB"));
    db = kiln.open("fuzz");
    bystander = kiln.open("bystander");
    bystander.put(JSON.objectNode().put("_id", "b").put("n", 1)).toCompletableFuture().join();
  }

  @AfterContainer
  static void stop() throws IOException {
    kiln.close();
    System.out.println("document fuzz outcomes: " + OUTCOMES);
    assertThat(OUTCOMES.getOrDefault("stored", 0)).as("documents stored (the fuzz reaches the store)").isPositive();
    assertThat(OUTCOMES.getOrDefault("refused", 0)).as("documents refused (the fuzz reaches the edges)").isPositive();
    assertThat(OUTCOMES.getOrDefault("raw bytes reached Kiln", 0)).as("raw documents the client's parser passed on to Kiln")
        .isPositive();
    for (Shape odd : List.of(Shape.EMPTY_KEY, Shape.NUL_KEY, Shape.LONE_SURROGATE_KEY)) {
      assertThat(OUTCOMES.getOrDefault("reached Kiln with " + odd, 0)).as("documents with %s that Kiln decided on", odd)
          .isPositive();
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Property(tries = 100, seed = "20261126")
  void aDocumentIsStoredExactlyOrRefusedTyped_andARefusalChangesNothing(@ForAll("documents") ObjectNode doc) {
    storedExactlyOrRefused(doc);
    for (Shape odd : List.of(Shape.EMPTY_KEY, Shape.NUL_KEY, Shape.LONE_SURROGATE_KEY)) {
      if (doc.has(odd.key) && !doc.has("_deleted")) {
        OUTCOMES.merge("reached Kiln with " + odd, 1, Integer::sum); // nothing refused it before its key was seen
      }
    }
  }

  @Property(tries = 100, seed = "20261127")
  void rawBytesThatJacksonAcceptsAreStoredExactlyOrRefusedTyped(@ForAll("rawJson") byte[] bytes) {
    JsonNode parsed;
    try {
      parsed = CLIENT.readTree(bytes);
    } catch (JsonProcessingException e) {
      Statistics.collect("parser refused");
      return; // the client's parser refused it (the CLI reports that itself): Kiln never sees it
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (parsed instanceof ObjectNode o) {
      OUTCOMES.merge("raw bytes reached Kiln", 1, Integer::sum);
      storedExactlyOrRefused(o);
    }
  }

  private static void storedExactlyOrRefused(ObjectNode doc) {
    long seqBefore = db.stats().toCompletableFuture().join().lastSeq();
    ObjectNode sent = doc.deepCopy();
    WriteResult written;
    try {
      written = db.put(doc).toCompletableFuture().join();
    } catch (CompletionException e) {
      assertThat(e.getCause()).as("the error for a bad document").isInstanceOf(KilnException.class);
      KilnException k = (KilnException) e.getCause();
      assertThat(k.code()).as("code of '%s'", k.getMessage()).isIn(REFUSALS);
      assertThat(k.getMessage()).as("the message says what was wrong").isNotBlank();
      assertThat(db.stats().toCompletableFuture().join().lastSeq()).as("a refused document changes nothing").isEqualTo(seqBefore);
      assertThat(bystander.get("b").toCompletableFuture().join().get("n").asInt()).as("another database still answers").isEqualTo(1);
      Statistics.collect("refused " + k.code());
      OUTCOMES.merge("refused", 1, Integer::sum);
      return;
    }
    ObjectNode got = db.get(written.id()).toCompletableFuture().join();
    ObjectNode expected = sent.deepCopy();
    expected.put("_id", written.id());
    assertThat(CrashDocs.sameJson(got, expected)).as("stored %s, read back %s", abbreviate(expected), abbreviate(got)).isTrue();
    Statistics.collect("stored");
    OUTCOMES.merge("stored", 1, Integer::sum);
  }

  private static String abbreviate(JsonNode n) {
    String s = String.valueOf(n);
    return s.length() <= 300 ? s : s.substring(0, 297) + "...";
  }

  // ------------------------------------------------------------------ documents

  @Provide
  Arbitrary<ObjectNode> documents() {
    return Combinators.combine(ids(), values(3), Arbitraries.of(Shape.values()), Arbitraries.integers().between(1, 1200))
        .as((id, value, shape, n) -> {
          ObjectNode doc = JSON.objectNode();
          if (id != null) {
            doc.set("_id", id);
          }
          doc.set("v", value);
          switch (shape) {
            case DEEP_OBJECTS -> doc.set("deep", nest(n, true));
            case DEEP_ARRAYS -> doc.set("deep", nest(n, false));
            case HUGE_STRING -> doc.put("huge", "x".repeat(n * 100));
            // Each odd key alone, so nothing else (such as a _deleted flag) is refused before it.
            case EMPTY_KEY, NUL_KEY, LONE_SURROGATE_KEY -> doc.put(shape.key, n);
            case DELETED_FLAG -> doc.put("_deleted", n % 2 == 0);
            case PLAIN -> { }
          }
          return doc;
        });
  }

  enum Shape {
    PLAIN, DEEP_OBJECTS, DEEP_ARRAYS, HUGE_STRING, EMPTY_KEY(""), NUL_KEY("k\u0000ey"), LONE_SURROGATE_KEY("\uD800"),
    DELETED_FLAG;

    /** The odd key this shape adds (null: none). */
    final String key;

    Shape() {
      this(null);
    }

    Shape(String key) {
      this.key = key;
    }
  }

  private static JsonNode nest(int depth, boolean objects) {
    JsonNode inner = JSON.numberNode(depth);
    for (int i = 0; i < depth; i++) {
      inner = objects ? JSON.objectNode().set("d", inner) : JSON.arrayNode().add(inner);
    }
    return inner;
  }

  /** Ids at and past every edge; null leaves _id out (Kiln picks one). */
  Arbitrary<JsonNode> ids() {
    Arbitrary<JsonNode> plain = Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(20).map(JSON::textNode);
    Arbitrary<JsonNode> strings = Arbitraries.strings().all().ofMinLength(0).ofMaxLength(20).map(JSON::textNode);
    Arbitrary<JsonNode> edges = Arbitraries.of(
        JSON.textNode(""), JSON.textNode("a".repeat(512)), JSON.textNode("a".repeat(513)),
        JSON.textNode("\u20ac".repeat(170)), JSON.textNode("\u20ac".repeat(171)), // 510 and 513 bytes of UTF-8
        JSON.textNode("tab\there"), JSON.textNode("nul\u0000"), JSON.textNode("del\u007f"), JSON.textNode("nl\n"),
        JSON.textNode("lone\uD800"), JSON.textNode("\uDC00lone"), JSON.textNode("\uD83D\uDE00 emoji"),
        JSON.textNode(" "), JSON.textNode("_design/x"), JSON.numberNode(42), JSON.booleanNode(true), JSON.nullNode(),
        JSON.arrayNode().add("a"), JSON.objectNode().put("a", 1));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, plain), net.jqwik.api.Tuple.of(2, strings), net.jqwik.api.Tuple.of(3, edges),
        net.jqwik.api.Tuple.of(1, Arbitraries.just(null)));
  }

  /** Values, numbers out of every range among them. */
  Arbitrary<JsonNode> values(int depth) {
    Arbitrary<JsonNode> numbers = Arbitraries.of(
        JSON.numberNode(Long.MIN_VALUE), JSON.numberNode(Long.MAX_VALUE),
        JSON.numberNode(new BigInteger("18446744073709551615")), JSON.numberNode(new BigInteger("-18446744073709551617")),
        JSON.numberNode(new BigInteger("1" + "0".repeat(40))), JSON.numberNode(new BigDecimal("1e400")),
        JSON.numberNode(new BigDecimal("-1e-400")), JSON.numberNode(new BigDecimal("0.1")),
        JSON.numberNode(Double.NaN), JSON.numberNode(Double.POSITIVE_INFINITY), JSON.numberNode(Double.NEGATIVE_INFINITY),
        JSON.numberNode(-0.0), JSON.numberNode(Double.MIN_VALUE), JSON.numberNode(Double.MAX_VALUE),
        JSON.numberNode(1.5f), JSON.numberNode(3.0));
    Arbitrary<JsonNode> scalars = Arbitraries.oneOf(numbers,
        Arbitraries.longs().map(JSON::numberNode),
        Arbitraries.doubles().map(JSON::numberNode),
        Arbitraries.strings().all().ofMaxLength(30).map(JSON::textNode),
        Arbitraries.of(JSON.booleanNode(true), JSON.nullNode(), JSON.binaryNode(new byte[] {1, 2, 3})));
    if (depth == 0) {
      return scalars;
    }
    Arbitrary<JsonNode> arrays = values(depth - 1).list().ofMaxSize(4).map(l -> {
      ArrayNode a = JSON.arrayNode();
      l.forEach(a::add);
      return a;
    });
    Arbitrary<JsonNode> objects = Combinators.combine(Arbitraries.strings().all().ofMaxLength(8).list().ofMaxSize(4),
        values(depth - 1).list().ofSize(4)).as((keys, vals) -> {
          ObjectNode o = JSON.objectNode();
          for (int i = 0; i < keys.size(); i++) {
            o.set(keys.get(i), vals.get(i));
          }
          return o;
        });
    return Arbitraries.oneOf(scalars, arrays, objects);
  }

  // ------------------------------------------------------------------ raw bytes

  /** A JSON document as UTF-8 bytes with bytes spliced into a string: invalid UTF-8, surrogates as CESU-8, overlongs. */
  @Provide
  Arbitrary<byte[]> rawJson() {
    List<byte[]> splices = List.of(
        new byte[] {(byte) 0x80}, new byte[] {(byte) 0xC0, (byte) 0x80}, new byte[] {(byte) 0xC3},
        new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, new byte[] {(byte) 0xED, (byte) 0xBF, (byte) 0xBF},
        new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, new byte[] {(byte) 0xF8, (byte) 0x88},
        new byte[] {(byte) 0xFF, (byte) 0xFE}, new byte[] {(byte) 0xE2, (byte) 0x82}, new byte[] {0},
        new byte[] {0x1f}, new byte[] {'\\', 'u', 'd', '8', '0', '0'}, new byte[] {'\\', 'u', 'd', 'c', '0', '0'},
        new byte[] {'\\', 'u', '0', '0', '0', '0'});
    Arbitrary<byte[]> splice = Arbitraries.oneOf(Arbitraries.of(splices),
        Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(6));
    return Combinators.combine(splice, Arbitraries.of("_id", "value", "key"), Arbitraries.integers().between(0, 4))
        .as((bytes, where, at) -> {
          String before = "{\"_id\":\"id" + at + "-";
          String middle = where.equals("_id") ? "\",\"value\":\"" : "";
          String text;
          if (where.equals("key")) {
            text = "{\"_id\":\"k" + at + "\",\"" + "k".repeat(at) + "\u0001SPLICE\":1}";
          } else if (where.equals("_id")) {
            text = before + "\u0001SPLICE" + middle + "v\"}";
          } else {
            text = "{\"_id\":\"v" + at + "\",\"value\":\"" + "v".repeat(at) + "\u0001SPLICE\"}";
          }
          byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
          int mark = indexOf(utf8, "\u0001SPLICE".getBytes(StandardCharsets.UTF_8));
          byte[] out = new byte[utf8.length - 7 + bytes.length];
          System.arraycopy(utf8, 0, out, 0, mark);
          System.arraycopy(bytes, 0, out, mark, bytes.length);
          System.arraycopy(utf8, mark + 7, out, mark + bytes.length, utf8.length - mark - 7);
          return out;
        });
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalStateException("no splice mark");
  }
}
