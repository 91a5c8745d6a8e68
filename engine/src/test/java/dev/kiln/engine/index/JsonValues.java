package dev.kiln.engine.index;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/** Generators of JSON values that hit the collation's edges: small alphabets so prefixes and ties are common. */
final class JsonValues {
  static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private JsonValues() {}

  /**
   * NUL, ASCII (upper sorts before lower), Latin-1, U+E000 (above surrogates in UTF-16) and two
   * non-BMP code points (generated as the placeholders X and Y, then substituted).
   */
  static Arbitrary<String> strings() {
    return Arbitraries.strings().withChars('\u0000', 'a', 'b', 'B', '\u00e9', '\uE000', 'X', 'Y').ofMaxLength(4)
        .map(s -> s.replace("X", "\uD83D\uDE00").replace("Y", "\uDBFF\uDFFF"));
  }

  static Arbitrary<JsonNode> numbers() {
    Arbitrary<JsonNode> small = Arbitraries.integers().between(-3, 3).map(i -> NODES.numberNode(i));
    Arbitrary<JsonNode> smallAsDouble = Arbitraries.integers().between(-3, 3).map(i -> NODES.numberNode((double) i));
    Arbitrary<JsonNode> longs = Arbitraries.longs().map(l -> NODES.numberNode(l));
    Arbitrary<JsonNode> edges = Arbitraries.of(
            Long.MIN_VALUE, Long.MIN_VALUE + 1, Long.MAX_VALUE, -(1L << 53) - 1, (1L << 53) + 1, 1L << 53)
        .map(l -> NODES.numberNode(l));
    Arbitrary<JsonNode> doubleEdges = Arbitraries.of(
            -0.0, 0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE,
            Double.MIN_NORMAL, 0x1p63, -0x1p63, 0x1p64, 9.2233720368547748E18, 0.5, -0.5, 1.5, 2.5e-8)
        .map(d -> NODES.numberNode(d));
    Arbitrary<JsonNode> anyDouble = Arbitraries.longs().map(Double::longBitsToDouble).filter(Double::isFinite)
        .map(d -> NODES.numberNode(d));
    Arbitrary<JsonNode> fractions = Arbitraries.integers().between(-40, 40)
        .map(i -> NODES.numberNode(i / 8.0));
    Arbitrary<JsonNode> decimals = Arbitraries.integers().between(-20, 20)
        .map(i -> NODES.numberNode(BigDecimal.valueOf(i, 1).multiply(BigDecimal.valueOf(5)))); // exact halves
    return Arbitraries.frequencyOf(
        Tuple.of(3, small), Tuple.of(2, smallAsDouble), Tuple.of(2, longs), Tuple.of(2, edges),
        Tuple.of(2, doubleEdges), Tuple.of(3, anyDouble), Tuple.of(3, fractions), Tuple.of(1, decimals));
  }

  static Arbitrary<JsonNode> scalars() {
    return Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.just(NODES.nullNode())),
        Tuple.of(1, Arbitraries.of(true, false).map(b -> NODES.booleanNode(b))),
        Tuple.of(4, numbers()),
        Tuple.of(4, strings().map(s -> NODES.textNode(s))));
  }

  /** Any JSON value, nested up to three levels of arrays and objects. */
  static Arbitrary<JsonNode> values() {
    return Arbitraries.recursive(JsonValues::scalars, JsonValues::withContainers, 0, 3);
  }

  private static Arbitrary<JsonNode> withContainers(Arbitrary<JsonNode> element) {
    Arbitrary<JsonNode> arrays = element.list().ofMaxSize(3).map(JsonValues::array);
    Arbitrary<JsonNode> objects = Combinators.combine(strings(), element).as(Tuple::of).list().ofMaxSize(3)
        .map(pairs -> {
          ObjectNode o = NODES.objectNode();
          pairs.forEach(p -> o.set(p.get1(), p.get2())); // a repeated key keeps its first position
          return o;
        });
    return Arbitraries.frequencyOf(Tuple.of(2, element), Tuple.of(1, arrays), Tuple.of(1, objects));
  }

  static ArrayNode array(List<JsonNode> elements) {
    ArrayNode a = NODES.arrayNode();
    elements.forEach(a::add);
    return a;
  }
}
