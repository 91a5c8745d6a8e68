package dev.kiln.engine.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.protocol.Cid;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verifier on hand-made CARs: the graph a database would have, healthy and broken. */
class DatabaseVerifierTest {
  @TempDir
  Path dir;

  private final List<String> passes = new ArrayList<>();

  private DatabaseVerifier.Report verify(FileCarStore store, Cid head) {
    return new DatabaseVerifier(store, (pass, done, total) -> passes.add(pass)).checkFiles().checkGraph(head).report();
  }

  private static Block leaf(String text) {
    return Block.encode(Map.of("text", text));
  }

  private static Block linking(Cid... links) {
    return Block.encode(Map.of("links", List.of((Object[]) links)));
  }

  @Test
  void aGraphSpreadOverTwoCarsIsHealthy() {
    Block x = leaf("x");
    Block y = leaf("y");
    Block root = linking(x.cid(), y.cid());
    try (FileCarStore store = new FileCarStore(dir, false)) {
      store.write(List.of(x.cid()), List.of(x, y));
      store.write(List.of(root.cid()), List.of(root));

      DatabaseVerifier.Report report = verify(store, root.cid());
      assertThat(report.problems()).isEmpty();
      assertThat(report.healthy()).isTrue();
      assertThat(report.cars()).isEqualTo(2);
      assertThat(report.blocks()).isEqualTo(3);
      assertThat(report.reachable()).isEqualTo(3);
      assertThat(passes).contains("CARs", "blocks reachable from the head");
    }
  }

  @Test
  void aLinkToABlockNoCarHoldsIsReportedWithTheBlockThatLinksToIt() {
    Block x = leaf("x");
    Block lost = leaf("lost");
    Block middle = linking(lost.cid());
    Block root = linking(x.cid(), middle.cid());
    try (FileCarStore store = new FileCarStore(dir, false)) {
      store.write(List.of(root.cid()), List.of(x, middle, root));

      DatabaseVerifier.Report report = verify(store, root.cid());
      assertThat(report.healthy()).isFalse();
      assertThat(report.problems()).containsExactly(
          "block " + lost.cid() + " is in no CAR, but block " + middle.cid() + " links to it");
    }
  }

  @Test
  void aDamagedBlockIsReportedForItsCarAndWhereTheWalkMeetsItWhileTheRestIsRead() throws IOException {
    Block x = leaf("some text to damage");
    Block y = leaf("y");
    Block root = linking(x.cid(), y.cid());
    try (FileCarStore store = new FileCarStore(dir, false)) {
      CarIndex car = store.write(List.of(root.cid()), List.of(x, y, root));
      long at = car.find(x.cid()).offset() + 8;
      try (RandomAccessFile f = new RandomAccessFile(store.pathOf(car.car()).toFile(), "rw")) {
        f.seek(at);
        int b = f.read();
        f.seek(at);
        f.write(b ^ 0x02);
      }

      DatabaseVerifier.Report report = verify(store, root.cid());
      assertThat(report.problems()).hasSize(2);
      assertThat(report.problems().get(0)).startsWith("CAR " + car.car() + " is damaged").contains(x.cid().toString());
      assertThat(report.problems().get(1)).startsWith("block " + x.cid() + " (block " + root.cid() + " links to it) cannot be read");
      assertThat(report.reachable()).as("the root and y").isEqualTo(2);
    }
  }

  @Test
  void aWrongIndexFileIsAProblemAndAMissingOneANote() throws IOException {
    Block a = leaf("a");
    Block b = leaf("b");
    try (FileCarStore store = new FileCarStore(dir, false)) {
      CarIndex first = store.write(List.of(a.cid()), List.of(a));
      CarIndex second = store.write(List.of(b.cid()), List.of(b));
      java.nio.file.Files.delete(store.indexPathOf(first.car()));
      try (RandomAccessFile f = new RandomAccessFile(store.indexPathOf(second.car()).toFile(), "rw")) {
        f.seek(f.length() - 1);
        int v = f.read();
        f.seek(f.length() - 1);
        f.write(v ^ 0x01);
      }

      DatabaseVerifier.Report report = verify(store, null);
      assertThat(report.notes()).singleElement().asString().contains(first.car().toString()).contains("missing");
      assertThat(report.problems()).singleElement().asString()
          .contains(store.indexPathOf(second.car()).toString()).contains("checksum");
    }
  }
}
