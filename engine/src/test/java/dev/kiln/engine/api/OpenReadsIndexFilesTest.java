package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.await;
import static dev.kiln.engine.api.KilnTestSupport.failsWith;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.BlockLocation;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.car.ForwardingCarStore;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database opens from its CARs' index files: it reads a few blocks of the head commit, not its
 * CARs whole, so a document block damaged after it was written is reported by the read that meets
 * it while the rest of the database is served (invariant 8). Counts, never time.
 */
class OpenReadsIndexFilesTest {
  private static final String MARKER = "the-damaged-document";

  @TempDir Path dir;

  /** Counts the bytes of the blocks read through it, and whole-CAR checks. */
  static final class Counting extends ForwardingCarStore {
    final AtomicLong blockBytes = new AtomicLong();
    final AtomicLong checks = new AtomicLong();

    Counting(CarStore inner) {
      super(inner);
    }

    @Override
    public Block read(Cid car, Cid block, BlockLocation at) {
      Block b = super.read(car, block, at);
      blockBytes.addAndGet(b.size());
      return b;
    }

    @Override
    public List<Block> readMany(Cid car, List<Cid> blocks, List<BlockLocation> at) {
      List<Block> read = super.readMany(car, blocks, at);
      read.forEach(b -> blockBytes.addAndGet(b.size()));
      return read;
    }

    @Override
    public CarIndex check(Cid car) {
      checks.incrementAndGet();
      return super.check(car);
    }
  }

  private static ObjectNode doc(int i) {
    return JsonNodeFactory.instance.objectNode().put("_id", String.format("d-%04d", i)).put("n", i)
        .put("text", i == 500 ? MARKER : "some text that makes the document a little larger, number " + i);
  }

  @Test
  void aDatabaseOpensReadingAFewBlocksAndADamagedDocumentIsReportedByItsRead() throws IOException {
    Kiln kiln = KilnTestSupport.start(dir);
    Database db = kiln.open("big");
    for (int bulk = 0; bulk < 4; bulk++) {
      List<ObjectNode> docs = new ArrayList<>();
      for (int i = bulk * 500; i < (bulk + 1) * 500; i++) {
        docs.add(doc(i));
      }
      await(db.putAll(docs));
    }
    kiln.close();
    flipAByteOf(MARKER);

    Kiln again = KilnTestSupport.start(dir);
    try {
      List<Counting> stores = new ArrayList<>();
      Database reopened = again.open("big", again.defaults(), store -> {
        Counting c = new Counting(store);
        stores.add(c);
        return c;
      });
      long carBytes = await(reopened.stats()).carBytes(); // answers once the database has opened
      Counting store = stores.get(0);
      assertThat(store.checks.get()).as("CARs read whole while opening").isZero();
      assertThat(store.blockBytes.get()).as("block bytes read while opening, of " + carBytes)
          .isPositive().isLessThan(carBytes / 100);

      assertThat(await(reopened.get("d-0499")).get("n").asInt()).isEqualTo(499);
      KilnException damaged = failsWith(reopened.get("d-0500"), ErrorCode.CORRUPT);
      assertThat(damaged.getMessage()).contains(".car");
      assertThat(await(reopened.get("d-1999")).get("n").asInt()).isEqualTo(1999);
    } finally {
      again.close();
    }
  }

  private void flipAByteOf(String marker) throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve("big").resolve("cars"))) {
      for (Path car : files.filter(p -> p.toString().endsWith(".car")).toList()) {
        byte[] bytes = Files.readAllBytes(car);
        int at = new String(bytes, StandardCharsets.ISO_8859_1).indexOf(marker);
        if (at >= 0) {
          try (RandomAccessFile f = new RandomAccessFile(car.toFile(), "rw")) {
            f.seek(at + 2);
            f.write(bytes[at + 2] ^ 0x20);
          }
          return;
        }
      }
    }
    throw new AssertionError("no CAR holds " + marker);
  }
}
