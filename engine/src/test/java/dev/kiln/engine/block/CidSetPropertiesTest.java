package dev.kiln.engine.block;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link CidSet}, the one open-addressing table over packed CID keys (a walk's seen set and a CAR
 * index builder's keys), behaves as a {@code LinkedHashSet<Cid>}: add says whether the CID was new,
 * contains agrees, and the keys stay in the order added, comparing as the CIDs do. Sizes cross
 * several rehashes; CIDs repeat, and raw and dag-cbor CIDs of the same bytes share a digest. jqwik
 * prints the seed of a failing try.
 */
class CidSetPropertiesTest {
  @Property(tries = 80)
  void behavesAsAnInsertionOrderedSet(@ForAll @IntRange(min = 0, max = 3000) int adds,
      @ForAll @IntRange(min = 1, max = 2000) int distinctContents, @ForAll long seed) {
    Random random = new Random(seed);
    CidSet set = new CidSet();
    LinkedHashSet<Cid> model = new LinkedHashSet<>();
    for (int i = 0; i < adds; i++) {
      byte[] content = ("content-" + random.nextInt(distinctContents)).getBytes();
      Cid cid = random.nextBoolean() ? Cid.raw(content) : Cid.dagCbor(content);
      assertThat(set.add(cid)).as("add %s", cid).isEqualTo(model.add(cid));
    }
    assertThat(set.size()).isEqualTo(model.size());
    for (int i = 0; i < 50; i++) {
      byte[] content = ("content-" + random.nextInt(2 * distinctContents)).getBytes();
      Cid cid = random.nextBoolean() ? Cid.raw(content) : Cid.dagCbor(content);
      assertThat(set.contains(cid)).as("contains %s", cid).isEqualTo(model.contains(cid));
    }
    List<Cid> order = new ArrayList<>(model);
    byte[] keys = new byte[order.size() * CidSet.KEY_BYTES];
    for (int i = 0; i < order.size(); i++) {
      set.copyKey(i, keys, i * CidSet.KEY_BYTES);
      byte[] expected = CidSet.key(order.get(i));
      assertThat(Arrays.copyOfRange(keys, i * CidSet.KEY_BYTES, (i + 1) * CidSet.KEY_BYTES)).isEqualTo(expected);
      int prefix = (expected[0] & 0xFF) << 24 | (expected[1] & 0xFF) << 16 | (expected[2] & 0xFF) << 8
          | (expected[3] & 0xFF);
      assertThat(set.keyPrefix(i)).isEqualTo(prefix);
    }
    for (int i = 0; i + 1 < order.size(); i++) {
      int j = random.nextInt(order.size());
      assertThat(Integer.signum(set.compareKeys(i, j))).as("entries %d and %d", i, j)
          .isEqualTo(Integer.signum(order.get(i).compareTo(order.get(j))));
    }
  }
}
