package dev.kiln.engine.car;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.protocol.Cid;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** FileCarStore.readMany reads many blocks per read yet checks each one as read() does. */
class CarReadManyTest {
  @TempDir Path dir;

  /** 200 small blocks (read together), one of 40 KiB and one past the read-size cap (read alone). */
  private static List<Block> blocks() {
    Random random = new Random(7);
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      blocks.add(Block.encode(Map.of("n", (long) i, "pad", "x".repeat(random.nextInt(300)))));
    }
    byte[] big = new byte[40 * 1024];
    random.nextBytes(big);
    blocks.add(100, Block.raw(big));
    byte[] huge = new byte[1100 * 1024];
    random.nextBytes(huge);
    blocks.add(150, Block.raw(huge));
    return blocks;
  }

  @Test
  void returnsEveryBlockVerifiedInTheOrderAsked() {
    List<Block> blocks = blocks();
    try (FileCarStore store = new FileCarStore(dir, false)) {
      CarIndex car = store.write(List.of(blocks.get(0).cid()), blocks);
      List<Block> asked = new ArrayList<>(blocks);
      Collections.shuffle(asked, new Random(3));
      asked = asked.subList(0, 150); // leaves gaps between the ranges read
      List<Cid> cids = asked.stream().map(Block::cid).toList();
      List<BlockLocation> at = cids.stream().map(car::find).toList();

      assertThat(store.readMany(car.car(), cids, at)).containsExactlyElementsOf(asked);
    }
  }

  @Test
  void aFlippedByteInABatchedBlockIsCorruptAndNamesItsCid() throws IOException {
    List<Block> blocks = blocks();
    try (FileCarStore store = new FileCarStore(dir, false)) {
      CarIndex car = store.write(List.of(blocks.get(0).cid()), blocks);
      Block victim = blocks.get(57);
      BlockLocation where = car.find(victim.cid());
      try (RandomAccessFile file = new RandomAccessFile(store.pathOf(car.car()).toFile(), "rw")) {
        long position = where.offset() + where.length() / 2;
        file.seek(position);
        int b = file.read();
        file.seek(position);
        file.write(b ^ 0x01);
      }
      List<Cid> cids = blocks.stream().map(Block::cid).toList();
      List<BlockLocation> at = cids.stream().map(car::find).toList();

      assertThatThrownBy(() -> store.readMany(car.car(), cids, at))
          .isInstanceOf(CorruptBlockException.class)
          .satisfies(e -> assertThat(((CorruptBlockException) e).cid()).isEqualTo(victim.cid()))
          .hasMessageContaining(victim.cid().toString())
          .hasMessageContaining("offset " + where.offset());
    }
  }

  @Test
  void theDefaultReadsOneByOneWithTheSameAnswer() {
    List<Block> blocks = blocks();
    try (MemoryCarStore store = new MemoryCarStore()) {
      CarIndex car = store.write(List.of(blocks.get(0).cid()), blocks);
      List<Cid> cids = blocks.stream().map(Block::cid).toList();
      List<BlockLocation> at = cids.stream().map(car::find).toList();

      assertThat(store.readMany(car.car(), cids, at)).containsExactlyElementsOf(blocks);
    }
  }
}
