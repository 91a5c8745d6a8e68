package dev.kiln.engine.actor;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.kiln.engine.commit.CommitBuilder;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.KilnSerializable;
import java.util.ArrayList;
import java.util.List;

/** The DatabaseActor's journal: events and the state they build. Event handlers are pure. */
public final class Events {
  private Events() {}

  public sealed interface Event extends KilnSerializable permits CarAppended, Compacted, Destroyed, Fenced {}

  /**
   * One commit's CAR joined the CarLog. Names one CAR, never the whole log (invariant 10), and the
   * requests with an id this commit answered ({@code answered}: empty, or null in events written
   * before request ids), so that every later owner of the database still knows their answers.
   */
  public record CarAppended(Cid car, Cid commit, long seq,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Answered> answered) implements Event {
    public CarAppended {
      answered = answered == null ? List.of() : List.copyOf(answered);
    }

    public CarAppended(Cid car, Cid commit, long seq) {
      this(car, commit, seq, List.of());
    }
  }

  /**
   * A request with an id that a commit answered: the id and what it applied (a put's or delete's
   * document, a bulk put's documents, nothing for a dropped index). The answer is rebuilt from this
   * and the commit's CID, its clock.
   */
  public record Answered(String request, List<CommitBuilder.Applied> applied) {
    public Answered {
      applied = List.copyOf(applied);
    }
  }

  /**
   * A compaction was installed: the newest {@code kept} CARs (appended after its snapshot) stay,
   * followed by the compacted CAR {@code car}, followed by the oldest {@code baseKept} CARs (the
   * older compacted CARs a minor compaction keeps; 0 for a major one); the rest are replaced.
   *
   * @param liveBytes bytes of the blocks reachable from the compacted head: exact for a major
   *     compaction, a lower bound for a minor one (0 in events written before minor compactions)
   * @param minor whether it was a minor compaction (false in events written before them)
   */
  public record Compacted(Cid car, int kept, int baseKept, long liveBytes, boolean minor) implements Event {
    /** A major compaction whose live bytes are not known. */
    public Compacted(Cid car, int kept) {
      this(car, kept, 0, 0, false);
    }
  }

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
   * @param compactions major and minor compactions installed
   * @param base how many of the oldest CARs of the log compactions wrote (the rest were appended
   *     since the last compaction); 0 before the first compaction
   * @param liveBytes the last compaction's {@link Compacted#liveBytes}
   * @param minorCompactions how many of the compactions were minor
   * @param requests the answers of the newest requests with an id (empty in snapshots taken before them)
   */
  public record State(List<Cid> carLog, Cid head, long seq, long generation, long compactions, int base,
      long liveBytes, long minorCompactions, RequestWindow requests) implements KilnSerializable {
    public State {
      carLog = List.copyOf(carLog);
      requests = requests == null ? RequestWindow.EMPTY : requests;
    }

    public State(List<Cid> carLog, Cid head, long seq, long generation, long compactions, int base, long liveBytes,
        long minorCompactions) {
      this(carLog, head, seq, generation, compactions, base, liveBytes, minorCompactions, RequestWindow.EMPTY);
    }

    public static State empty() {
      return new State(List.of(), null, 0, 0, 0, 0, 0, 0);
    }

    /** CARs appended since the last compaction. */
    public int recent() {
      return carLog.size() - base;
    }

    /** The state after {@code event}, remembering the answers of at most {@link RequestWindow#DEFAULT_LIMIT} writes. */
    public State apply(Event event) {
      return apply(event, RequestWindow.DEFAULT_LIMIT);
    }

    /** The state after {@code event}, remembering the answers of at most {@code window} writes. */
    public State apply(Event event, int window) {
      if (event instanceof CarAppended e) {
        List<Cid> log = new ArrayList<>(carLog.size() + 1);
        log.add(e.car());
        log.addAll(carLog);
        return new State(log, e.commit(), e.seq(), generation + 1, compactions, base, liveBytes, minorCompactions,
            requests.with(e.commit(), e.answered(), window));
      } else if (event instanceof Compacted e) {
        List<Cid> log = new ArrayList<>(carLog.subList(0, e.kept()));
        log.add(e.car());
        log.addAll(carLog.subList(carLog.size() - e.baseKept(), carLog.size()));
        return new State(log, head, seq, generation + 1, compactions + 1, e.baseKept() + 1, e.liveBytes(),
            minorCompactions + (e.minor() ? 1 : 0), requests);
      } else if (event instanceof Fenced) {
        return this;
      } else {
        // destroyed: a new, empty database, which has answered nothing
        return new State(List.of(), null, 0, generation + 1, compactions, 0, 0, minorCompactions);
      }
    }
  }
}
