package dev.kiln.engine.commit;

import dev.kiln.engine.commit.IndexRoot;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.commit.CommitBuilder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.protocol.Cid;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * Keeps a commit's query indexes current; the {@link CommitBuilder} calls it once per commit.
 * Implemented by the index package, which knows what the indexes are.
 */
public interface IndexUpdater {

  /** A document's state after the batch: its block, and its content (null when deleted). */
  record DocChange(Cid block, ObjectNode doc) {}

  /** The indexes of the new commit, the blocks written for them, and anything worth a warning. */
  record Update(SortedMap<String, IndexRoot> indexes, List<Block> blocks, List<String> warnings) {}

  /**
   * @param changed every document the batch changed, by id
   * @param seq the new commit's sequence
   * @param defined definition fingerprints of field indexes defined by this batch, by name
   */
  Update update(BlockSource src, CommitRoots base, Map<String, DocChange> changed, long seq, Map<String, String> defined);

  /** Leaves the indexes as they are (stored field indexes are then not maintained: tests only). */
  IndexUpdater NONE = (src, base, changed, seq, defined) -> new Update(base.indexes(), List.of(), List.of());
}
