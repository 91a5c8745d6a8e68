package dev.kiln.engine.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.MemoryCarStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CarLogBlocksTest {
  private final MemoryCarStore store = new MemoryCarStore();
  /** Holds nothing, so every read goes to the CARs. */
  private final Cache<dev.kiln.protocol.Cid, Block> noCache = Caffeine.newBuilder().maximumSize(0).build();

  @Test
  void reads_each_block_from_whichever_car_holds_it_in_any_order() {
    List<Block> older = blocks("older", 5);
    List<Block> newer = blocks("newer", 5);
    newer.add(older.get(2)); // a block both CARs hold
    CarIndex olderCar = store.write(List.of(older.get(0).cid()), older);
    CarIndex newerCar = store.write(List.of(newer.get(0).cid()), newer);
    Snapshot snap = new Snapshot(1, List.of(newerCar, olderCar), newer.get(0).cid(), null);
    CarLogBlocks source = new CarLogBlocks(store, snap, noCache, false);

    // Alternate between the CARs so a remembered CAR is the wrong one half the time.
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 5; i++) {
        assertThat(source.get(older.get(i).cid())).isEqualTo(older.get(i));
        assertThat(source.get(newer.get(i).cid())).isEqualTo(newer.get(i));
      }
    }
  }

  @Test
  void a_block_no_car_holds_is_missing_even_after_hits() {
    List<Block> held = blocks("held", 3);
    CarIndex car = store.write(List.of(held.get(0).cid()), held);
    CarLogBlocks source = new CarLogBlocks(store, new Snapshot(7, List.of(car), held.get(0).cid(), null), noCache, false);
    source.get(held.get(1).cid());
    Block absent = Block.encode(Map.of("absent", 1L));

    assertThatThrownBy(() -> source.get(absent.cid()))
        .isInstanceOf(MissingBlockException.class)
        .hasMessageContaining(absent.cid().toString())
        .hasMessageContaining("generation 7");
  }

  @Test
  void a_lookup_key_finds_what_the_cid_finds() {
    List<Block> bs = blocks("k", 4);
    CarIndex car = store.write(List.of(bs.get(0).cid()), bs);
    for (Block b : bs) {
      assertThat(car.find(new CarIndex.Key(b.cid()))).isEqualTo(car.find(b.cid())).isNotNull();
    }
    assertThat(car.find(new CarIndex.Key(Block.encode(Map.of("other", 1L)).cid()))).isNull();
  }

  private static List<Block> blocks(String tag, int n) {
    List<Block> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Block.encode(Map.of("tag", tag, "i", (long) i)));
    }
    return out;
  }
}
