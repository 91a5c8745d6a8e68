package dev.kiln.engine.snapshot;

import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.protocol.Cid;
import java.util.List;

/**
 * An immutable view of one database at one generation: its CarLog (newest first, each CAR with
 * its index), the head commit and its roots. Readers hold a lease on the generation while they
 * read, so no CAR of this view is deleted under them.
 *
 * @param head the newest commit block, or null for a database with no commit yet
 */
public record Snapshot(long generation, List<CarIndex> carLog, Cid head, CommitRoots roots) {
  public Snapshot {
    carLog = List.copyOf(carLog);
  }

  public boolean isEmpty() {
    return head == null;
  }

  public long carBytes() {
    long n = 0;
    for (CarIndex c : carLog) {
      n += c.byteSize();
    }
    return n;
  }

  /** The head commit's CID as text; null before the first commit. */
  public String clock() {
    return head == null ? null : head.toString();
  }
}
