package dev.kiln.engine.car;

import static dev.kiln.engine.car.CarFixtures.blocks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link CarStore} promises. Each implementation's test extends this and says how to
 * make a store and how to damage a stored CAR. Self-contained, so testkit's stores can run it too.
 */
abstract class CarStoreContract {
  protected CarStore store;

  /** A new, empty store. */
  protected abstract CarStore newStore();

  /** Flips bits of one byte of a stored CAR, as a bad disk would. */
  protected abstract void corrupt(Cid car, long offset, int xor);

  /** Cuts a stored CAR short, as a lost tail would. */
  protected abstract void truncate(Cid car, long length);

  /** How errors name the CAR's file (a path, or the memory store's name for it). */
  protected abstract String fileOf(Cid car);

  @BeforeEach
  void openStore() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Test
  void everyWrittenBlockReadsBackVerifiedWhereTheIndexSays() {
    List<Block> blocks = blocks(11, 60);
    List<Cid> roots = List.of(blocks.get(59).cid(), blocks.get(0).cid());

    CarIndex index = store.write(roots, blocks);

    assertThat(index.roots()).isEqualTo(roots);
    assertThat(index.blockCount()).isEqualTo(60);
    for (Block block : blocks) {
      assertThat(store.read(index.car(), block.cid(), index.find(block.cid()))).isEqualTo(block);
    }
  }

  @Test
  void openingAStoredCarRebuildsTheIndexTheWriteReturned() {
    List<Block> blocks = blocks(12, 25);
    CarIndex written = store.write(List.of(blocks.get(3).cid()), blocks);

    assertThat(store.open(written.car())).isEqualTo(written);
  }

  @Test
  void aCarIsNamedByTheHashOfItsBytes() {
    List<Block> blocks = blocks(13, 10);
    List<Cid> roots = List.of(blocks.get(1).cid());

    CarIndex index = store.write(roots, blocks);

    assertThat(index.car()).isEqualTo(CarWriter.encode(roots, blocks).index().car());
    assertThat(index.car().codec()).isEqualTo(Cid.RAW);
  }

  @Test
  void aBlockGivenTwiceIsStoredOnce() {
    List<Block> blocks = blocks(14, 8);
    List<Block> twice = new ArrayList<>(blocks);
    twice.addAll(blocks);
    Cid root = blocks.get(2).cid();

    CarIndex once = store.write(List.of(root), blocks);
    CarIndex dup = store.write(List.of(root), twice);

    assertThat(dup).isEqualTo(once);
    assertThat(dup.blockCount()).isEqualTo(8);
    assertThat(store.list()).containsExactly(once.car());
  }

  @Test
  void aCarWithNoBlocksIsStoredAndOpened() {
    CarIndex empty = store.write(List.of(), List.of());

    assertThat(empty.blockCount()).isZero();
    assertThat(store.exists(empty.car())).isTrue();
    assertThat(store.open(empty.car())).isEqualTo(empty);
  }

  @Test
  void existsListAndSizeDescribeWhatIsStored() {
    List<Block> a = blocks(15, 5);
    List<Block> b = blocks(16, 7);
    assertThat(store.list()).isEmpty();

    CarIndex carA = store.write(List.of(a.get(0).cid()), a);
    CarIndex carB = store.write(List.of(b.get(0).cid()), b);

    assertThat(store.exists(carA.car())).isTrue();
    assertThat(store.exists(carB.car())).isTrue();
    assertThat(store.list()).containsExactlyInAnyOrder(carA.car(), carB.car()).isSorted();
    assertThat(store.size(carA.car())).isEqualTo(carA.byteSize());
    assertThat(store.size(carB.car())).isEqualTo(carB.byteSize());
  }

  @Test
  void deleteRemovesACarAndIsIdempotent() {
    List<Block> blocks = blocks(17, 5);
    CarIndex kept = store.write(List.of(blocks.get(0).cid()), blocks.subList(0, 2));
    CarIndex gone = store.write(List.of(blocks.get(4).cid()), blocks);

    store.delete(gone.car());
    store.delete(gone.car());
    store.delete(Block.raw(new byte[] {42}).cid());

    assertThat(store.exists(gone.car())).isFalse();
    assertThat(store.list()).containsExactly(kept.car());
    assertThatThrownBy(() -> store.open(gone.car())).isInstanceOf(CarNotFoundException.class);
    assertThat(store.open(kept.car())).isEqualTo(kept);
  }

  @Test
  void aCarTheStoreDoesNotHoldIsATypedErrorNamingIt() {
    Cid unknown = Cid.raw(new byte[] {1, 2, 3});
    Cid block = Block.raw(new byte[] {4}).cid();

    assertThatThrownBy(() -> store.open(unknown))
        .isInstanceOf(CarNotFoundException.class).hasMessageContaining(unknown.toString());
    assertThatThrownBy(() -> store.size(unknown))
        .isInstanceOf(CarNotFoundException.class).hasMessageContaining(unknown.toString());
    assertThatThrownBy(() -> store.read(unknown, block, new BlockLocation(100, 1)))
        .isInstanceOf(CarNotFoundException.class).hasMessageContaining(unknown.toString());
    assertThat(store.exists(unknown)).isFalse();
  }

  @Test
  void aFlippedByteInABlockIsReportedOnReadWithFileOffsetAndCid() {
    List<Block> blocks = blocks(18, 6);
    CarIndex index = store.write(List.of(blocks.get(0).cid()), blocks);
    Block victim = blocks.get(2);
    BlockLocation at = index.find(victim.cid());

    corrupt(index.car(), at.offset() + at.length() / 2, 0x10);

    assertThatThrownBy(() -> store.read(index.car(), victim.cid(), at))
        .isInstanceOf(CorruptBlockException.class)
        .hasMessageContaining(fileOf(index.car()))
        .hasMessageContaining(victim.cid().toString())
        .hasMessageContaining("offset " + at.offset());
    Block neighbour = blocks.get(3);
    assertThat(store.read(index.car(), neighbour.cid(), index.find(neighbour.cid()))).isEqualTo(neighbour);
    assertThatThrownBy(() -> store.check(index.car()))
        .isInstanceOf(CorruptBlockException.class)
        .hasMessageContaining(fileOf(index.car()))
        .hasMessageContaining(victim.cid().toString());
  }

  @Test
  void aTruncatedCarFailsToOpenAndItsLostBlocksFailToRead() {
    List<Block> blocks = blocks(19, 6);
    CarIndex index = store.write(List.of(blocks.get(5).cid()), blocks);
    Block last = blocks.get(5);
    BlockLocation at = index.find(last.cid());

    truncate(index.car(), at.offset() + 1);

    assertThatThrownBy(() -> store.open(index.car()))
        .isInstanceOf(CarFormatException.class)
        .hasMessageContaining(fileOf(index.car()))
        .hasMessageContaining("truncated");
    assertThatThrownBy(() -> store.read(index.car(), last.cid(), at))
        .isInstanceOf(CarFormatException.class)
        .hasMessageContaining(fileOf(index.car()))
        .hasMessageContaining(last.cid().toString());
  }

  @Test
  void aRootThatIsNotAmongTheBlocksIsRefusedAndNothingIsStored() {
    List<Block> blocks = blocks(20, 3);
    Cid stranger = Block.encode(Map.of("not", "here")).cid();

    assertThatThrownBy(() -> store.write(List.of(stranger), blocks))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(stranger.toString());
    assertThat(store.list()).isEmpty();
  }

  @Test
  void aWriteWhoseBlocksFailMidwayStoresNothing() {
    List<Block> blocks = blocks(21, 10);
    Iterable<Block> failing = () -> new Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return true;
      }

      @Override
      public Block next() {
        if (next == 5) {
          throw new IllegalStateException("the block source failed");
        }
        return blocks.get(next++);
      }
    };

    assertThatThrownBy(() -> store.write(List.of(blocks.get(0).cid()), failing))
        .hasMessageContaining("the block source failed");
    assertThat(store.list()).isEmpty();
  }

  @Test
  void aClosedStoreRefusesWorkWithATypedError() {
    List<Block> blocks = blocks(22, 2);
    CarIndex index = store.write(List.of(blocks.get(0).cid()), blocks);

    store.close();

    assertThatThrownBy(() -> store.read(index.car(), blocks.get(0).cid(), index.find(blocks.get(0).cid())))
        .isInstanceOf(CarStoreException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> store.write(List.of(), List.of()))
        .isInstanceOf(CarStoreException.class).hasMessageContaining("closed");
  }

  /**
   * Several threads read random blocks of several CARs at once while another thread writes and
   * deletes unrelated CARs; every read returns exactly the block asked for. Seeded, so a failing
   * run names the seed that replays its choices.
   */
  @Test
  void concurrentReadersEachGetTheBlockTheyAskFor() throws Exception {
    long seed = 0x6b696c6eL;
    List<CarIndex> cars = new ArrayList<>();
    List<List<Block>> contents = new ArrayList<>();
    for (int c = 0; c < 5; c++) {
      List<Block> blocks = blocks(seed + c, 40);
      contents.add(blocks);
      cars.add(store.write(List.of(blocks.get(0).cid()), blocks));
    }
    int readers = 4;
    int readsEach = 400;
    ExecutorService pool = Executors.newFixedThreadPool(readers + 1);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < readers; t++) {
        Random random = new Random(seed * 31 + t);
        results.add(pool.submit(() -> {
          start.await();
          int verified = 0;
          for (int i = 0; i < readsEach; i++) {
            int c = random.nextInt(cars.size());
            Block want = contents.get(c).get(random.nextInt(40));
            CarIndex index = cars.get(c);
            Block got = store.read(index.car(), want.cid(), index.find(want.cid()));
            assertThat(got).as("seed %d, car %d", seed, c).isEqualTo(want);
            verified++;
          }
          return verified;
        }));
      }
      Future<Integer> churn = pool.submit(() -> {
        start.await();
        for (int i = 0; i < 20; i++) {
          List<Block> blocks = blocks(seed + 1000 + i, 5);
          CarIndex other = store.write(List.of(blocks.get(0).cid()), blocks);
          store.delete(other.car());
        }
        return 20;
      });
      start.countDown();
      for (Future<Integer> result : results) {
        assertThat(result.get(60, TimeUnit.SECONDS)).isEqualTo(readsEach);
      }
      assertThat(churn.get(60, TimeUnit.SECONDS)).isEqualTo(20);
    } finally {
      pool.shutdownNow();
    }
    assertThat(store.list()).containsExactlyInAnyOrderElementsOf(cars.stream().map(CarIndex::car).toList());
  }
}
