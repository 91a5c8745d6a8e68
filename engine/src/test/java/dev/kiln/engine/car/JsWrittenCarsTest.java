package dev.kiln.engine.car;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.protocol.Cid;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Kiln's CAR reader on CAR files written by the reference JavaScript implementation (@ipld/car),
 * made by tools/interop/make-fixtures.mjs, against what that script recorded about each file.
 */
class JsWrittenCarsTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final JsonNode EXPECTED = json("/interop/js-cars.json");

  static Stream<Arguments> files() {
    return StreamSupport.stream(EXPECTED.get("files").spliterator(), false)
        .map(f -> Arguments.of(f.get("file").asText(), f));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void kilnReadsTheRootsAndEveryBlockOfAJsWrittenCar(String file, JsonNode expected) {
    byte[] car = bytes("/interop/" + file);
    assertThat(car.length).isEqualTo(expected.get("size").asInt());
    assertThat(HEX.formatHex(Cid.sha256(car))).isEqualTo(expected.get("sha256").asText());

    CarIndex index = CarReader.index(file, new ByteArrayInputStream(car));

    List<Cid> roots = new ArrayList<>();
    expected.get("roots").forEach(r -> roots.add(Cid.parse(r.asText())));
    assertThat(index.roots()).containsExactlyElementsOf(roots);
    assertThat(index.blockCount()).isEqualTo(expected.get("blocks").size());
    assertThat(index.byteSize()).isEqualTo(car.length);
    assertThat(index.car()).isEqualTo(Cid.raw(car));

    for (JsonNode b : expected.get("blocks")) {
      Cid cid = Cid.parse(b.get("cid").asText());
      BlockLocation at = index.find(cid);
      assertThat(at).as("location of %s", cid).isNotNull();
      // the block's own bytes, where @ipld/car's indexer says they are
      assertThat(at.offset()).as("offset of %s", cid).isEqualTo(b.get("blockOffset").asLong());
      assertThat(at.length()).as("length of %s", cid).isEqualTo(b.get("blockLength").asInt());
      byte[] blockBytes = Arrays.copyOfRange(car, (int) at.offset(), (int) at.offset() + at.length());
      assertThat(HEX.formatHex(blockBytes)).isEqualTo(b.get("hex").asText());
      Block block = Block.verified(cid, blockBytes, file + " at " + at.offset());
      // dag-cbor blocks decode strictly; raw ones hand back their bytes
      assertThatCode(block::decode).as("decoding %s", cid).doesNotThrowAnyException();
    }

    Map<Cid, BlockLocation> visited = new LinkedHashMap<>();
    index.forEachBlock(visited::put);
    assertThat(visited).hasSize(expected.get("blocks").size());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void aStreamingReadSeesTheBlocksInFileOrder(String file, JsonNode expected) {
    List<String> inFileOrder = new ArrayList<>();
    List<Long> offsets = new ArrayList<>();
    CarReader.read(file, new ByteArrayInputStream(bytes("/interop/" + file)), (cid, blockBytes, offset) -> {
      inFileOrder.add(cid.toString());
      offsets.add(offset);
    });
    List<String> expectedOrder = new ArrayList<>();
    List<Long> expectedOffsets = new ArrayList<>();
    expected.get("blocks").forEach(b -> {
      expectedOrder.add(b.get("cid").asText());
      expectedOffsets.add(b.get("blockOffset").asLong());
    });
    assertThat(inFileOrder).containsExactlyElementsOf(expectedOrder);
    assertThat(offsets).containsExactlyElementsOf(expectedOffsets);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void aDamagedBlockInAJsWrittenCarIsRefusedNamingTheFileAndCid(String file, JsonNode expected) {
    JsonNode first = expected.get("blocks").get(0);
    byte[] car = bytes("/interop/" + file);
    car[first.get("blockOffset").asInt()] ^= 0x01;
    assertThatThrownBy(() -> CarReader.index(file, new ByteArrayInputStream(car)))
        .isInstanceOf(CorruptBlockException.class)
        .hasMessageContaining(file)
        .hasMessageContaining(first.get("cid").asText());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void aJsWrittenCarCutShortIsRefusedNamingTheFile(String file, JsonNode expected) {
    byte[] car = bytes("/interop/" + file);
    byte[] cut = Arrays.copyOf(car, car.length - 1);
    assertThatThrownBy(() -> CarReader.index(file, new ByteArrayInputStream(cut)))
        .isInstanceOf(CarFormatException.class)
        .hasMessageContaining(file)
        .hasMessageContaining("truncated");
  }

  static byte[] bytes(String resource) {
    try (InputStream in = JsWrittenCarsTest.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing; see tools/interop/README.md");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode json(String resource) {
    try {
      return new ObjectMapper().readTree(bytes(resource));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
