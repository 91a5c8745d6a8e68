package dev.kiln.engine.car;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.block.Block;
import dev.kiln.protocol.Cid;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Kiln's CAR writer against the reference JavaScript implementation: byte-for-byte equal to what
 * @ipld/car writes for the same blocks, and the committed kiln-written.car (checked by
 * tools/interop/verify-kiln-car.mjs) still what Kiln writes today.
 */
class KilnWrittenCarTest {
  private static final HexFormat HEX = HexFormat.of();
  /** Where the test leaves a fresh copy, for verify-kiln-car.mjs after a deliberate change. */
  static final Path FRESH_COPY = Path.of("target", "interop", "kiln-written.car");

  @Test
  void kilnBuildsTheSameBlocksAsTheJsReferenceFromTheSameValues() {
    JsonNode jsWritten = jsFile("js-written.car");
    List<Cid> jsCids = new ArrayList<>();
    jsWritten.get("blocks").forEach(b -> jsCids.add(Cid.parse(b.get("cid").asText())));
    KilnWrittenCar.CommitTree tree = KilnWrittenCar.CommitTree.build();
    assertThat(tree.cids()).containsExactlyElementsOf(jsCids);
    for (int i = 0; i < jsCids.size(); i++) {
      assertThat(HEX.formatHex(tree.blocks().get(i).bytes()))
          .isEqualTo(jsWritten.get("blocks").get(i).get("hex").asText());
    }
  }

  @Test
  void kilnWritesByteForByteWhatTheJsReferenceWritesForTheSameRootsAndBlocks() {
    KilnWrittenCar.CommitTree tree = KilnWrittenCar.CommitTree.build();
    EncodedCar car = CarWriter.encode(List.of(tree.commit().cid()), tree.blocks());
    // Kiln writes roots last, so its file is the JS one written in that order
    assertThat(HEX.formatHex(car.bytes()))
        .isEqualTo(HEX.formatHex(JsWrittenCarsTest.bytes("/interop/js-roots-last.car")));
    assertThat(HEX.formatHex(Cid.sha256(car.bytes()))).isEqualTo(jsFile("js-roots-last.car").get("sha256").asText());
  }

  @Test
  void theCommittedKilnWrittenCarIsWhatKilnWritesToday() throws IOException {
    EncodedCar today = KilnWrittenCar.encode();
    Files.createDirectories(FRESH_COPY.getParent());
    Files.write(FRESH_COPY, today.bytes());
    byte[] committed = JsWrittenCarsTest.bytes("/interop/kiln-written.car");
    assertThat(today.bytes())
        .as("kiln-written.car differs from what Kiln writes today; if the change is meant, copy "
            + FRESH_COPY.toAbsolutePath() + " over engine/src/test/resources/interop/kiln-written.car "
            + "and check it with tools/interop/verify-kiln-car.mjs (see tools/interop/README.md)")
        .isEqualTo(committed);
  }

  @Test
  void kilnReadsBackEveryBlockOfItsOwnInteropCar() {
    EncodedCar car = KilnWrittenCar.encode();
    CarIndex index = CarReader.index("kiln-written.car", new ByteArrayInputStream(car.bytes()));
    assertThat(index).isEqualTo(car.index());
    assertThat(index.roots()).hasSize(1);
    Block root = read(car.bytes(), index, index.roots().get(0));
    assertThat(root.decode()).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsKeys("vectors", "documents", "raw", "commit");
    List<Cid> all = new ArrayList<>();
    index.forEachBlock((cid, at) -> {
      Block block = read(car.bytes(), index, cid);
      assertThatCode(block::decode).as("decoding %s", cid).doesNotThrowAnyException();
      all.add(cid);
    });
    assertThat(all).hasSize(index.blockCount()).contains(index.roots().get(0));
  }

  private static Block read(byte[] car, CarIndex index, Cid cid) {
    BlockLocation at = index.find(cid);
    byte[] bytes = java.util.Arrays.copyOfRange(car, (int) at.offset(), (int) at.offset() + at.length());
    return Block.verified(cid, bytes, "kiln-written.car at " + at.offset());
  }

  private static JsonNode jsFile(String name) {
    for (JsonNode f : JsWrittenCarsTest.json("/interop/js-cars.json").get("files")) {
      if (f.get("file").asText().equals(name)) {
        return f;
      }
    }
    throw new IllegalStateException(name + " is not in js-cars.json");
  }
}
