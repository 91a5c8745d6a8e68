package dev.kiln.engine.car;

import static dev.kiln.engine.car.CarFixtures.blocks;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.block.Block;
import dev.kiln.protocol.Cid;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Lookups through an index opened from its paged file equal a full scan of the CAR: every block
 * is found where the scan found it, a block the CAR does not hold is not found, and a walk visits
 * the scan's entries in order. Sizes cross page boundaries (64 entries a page). jqwik prints the
 * seed of a failing try.
 */
class PagedIndexLookupPropertiesTest {
  @Property(tries = 60)
  void lookupsEqualAFullScan(@ForAll @IntRange(min = 1, max = 700) int blockCount,
      @ForAll @IntRange(min = 0, max = 3) int roots, @ForAll long seed) throws IOException {
    Path dir = Files.createTempDirectory("paged-index");
    try {
      List<Block> bs = blocks(seed, blockCount);
      List<Cid> rootCids = new ArrayList<>();
      for (int i = 0; i < Math.min(roots, blockCount); i++) {
        rootCids.add(bs.get(bs.size() - 1 - i).cid());
      }
      Cid car;
      try (FileCarStore writer = new FileCarStore(dir, false)) {
        car = writer.write(rootCids, bs).car();
      }
      try (FileCarStore store = new FileCarStore(dir, false)) {
        CarIndex scan = store.check(car); // every byte of the CAR read and verified
        CarIndex paged = store.open(car);
        assertThat(paged.blockCount()).isEqualTo(scan.blockCount());
        assertThat(paged.roots()).isEqualTo(scan.roots());
        for (Block b : bs) {
          assertThat(paged.find(b.cid())).as("%s", b.cid()).isEqualTo(scan.find(b.cid())).isNotNull();
        }
        for (Block b : blocks(~seed, 200)) {
          assertThat(paged.find(b.cid())).isEqualTo(scan.find(b.cid()));
        }
        List<String> walkPaged = new ArrayList<>();
        List<String> walkScan = new ArrayList<>();
        paged.forEachBlock((cid, at) -> walkPaged.add(cid + "@" + at));
        scan.forEachBlock((cid, at) -> walkScan.add(cid + "@" + at));
        assertThat(walkPaged).isEqualTo(walkScan);
        assertThat(store.indexFileProblem(car, scan)).isNull();
      }
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
