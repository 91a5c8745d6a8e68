package dev.kiln.engine.actor;

import dev.kiln.protocol.Cid;
import dev.kiln.protocol.KilnSerializable;
import java.util.ArrayList;
import java.util.List;

/** The DatabaseActor's journal: events and the state they build. Event handlers are pure. */
public final class Events {
  private Events() {}

  public sealed interface Event extends KilnSerializable permits CarAppended, Compacted, Destroyed, Fenced {}

  /** One commit's CAR joined the CarLog. Names one CAR, never the whole log (invariant 10). */
  public record CarAppended(Cid car, Cid commit, long seq) implements Event {}

  /**
   * A compaction was installed: the newest {@code kept} CARs (appended after its snapshot) stay,
   * followed by the compacted CAR {@code car}; the rest are replaced.
   */
  public record Compacted(Cid car, int kept) implements Event {}

  /** The database was destroyed: its state starts over empty. */
  public record Destroyed() implements Event {}

  /**
   * An incarnation took the database over (on a cluster, each start of its entity). It changes no
   * state; its sequence number is the fence: any writer that replayed before it persists at a
   * sequence number the journal already holds, and fails (docs/DESIGN.md, "Fencing").
   */
  public record Fenced() implements Event {}

  /**
   * @param carLog every CAR holding live blocks, newest first
   * @param head the newest commit block, or null before the first commit
   */
  public record State(List<Cid> carLog, Cid head, long seq, long generation, long compactions)
      implements KilnSerializable {
    public State {
      carLog = List.copyOf(carLog);
    }

    public static State empty() {
      return new State(List.of(), null, 0, 0, 0);
    }

    public State apply(Event event) {
      if (event instanceof CarAppended e) {
        List<Cid> log = new ArrayList<>(carLog.size() + 1);
        log.add(e.car());
        log.addAll(carLog);
        return new State(log, e.commit(), e.seq(), generation + 1, compactions);
      } else if (event instanceof Compacted e) {
        List<Cid> log = new ArrayList<>(carLog.subList(0, e.kept()));
        log.add(e.car());
        return new State(log, head, seq, generation + 1, compactions + 1);
      } else if (event instanceof Fenced) {
        return this;
      } else {
        return new State(List.of(), null, 0, generation + 1, compactions);
      }
    }
  }
}
