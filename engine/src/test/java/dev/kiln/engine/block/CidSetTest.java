package dev.kiln.engine.block;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.protocol.Cid;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link CidSet} across its key chunks: every CID added is found, once, and nothing else is. */
class CidSetTest {
  private static Cid cid(int i) {
    return Block.raw(("cid-set " + i).getBytes(StandardCharsets.UTF_8)).cid();
  }

  @Test
  void cidsOverSeveralChunksAreEachAddedOnceAndFound() {
    int n = 3 * CidSet.CHUNK + 5;
    List<Cid> cids = new ArrayList<>();
    CidSet set = new CidSet();
    for (int i = 0; i < n; i++) {
      cids.add(cid(i));
      assertThat(set.add(cids.get(i))).as("first add of %s", i).isTrue();
    }
    for (int i = 0; i < n; i++) {
      assertThat(set.contains(cids.get(i))).as("contains %s", i).isTrue();
      assertThat(set.add(cids.get(i))).as("second add of %s", i).isFalse();
    }
    assertThat(set.size()).isEqualTo(n);
    assertThat(set.contains(cid(n))).isFalse();
    // A raw and a dag-cbor CID of the same bytes differ only in the codec byte: both are members.
    Cid dagCbor = Cid.fromDigest(Cid.DAG_CBOR, java.util.Arrays.copyOfRange(cids.get(0).toBytes(), 4, 36));
    assertThat(set.contains(dagCbor)).isFalse();
    assertThat(set.add(dagCbor)).isTrue();
  }
}
