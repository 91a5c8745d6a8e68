package dev.kiln.testkit.crash;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@link CrashHarness} run did: one entry per kill-restart-verify cycle. A report exists only
 * for a run in which every check passed (a broken promise throws {@link CrashCheckFailed}).
 */
public record CrashReport(long seed, List<Cycle> cycles) {

  public CrashReport {
    cycles = List.copyOf(cycles);
  }

  /**
   * One cycle.
   *
   * @param plan when the kill was meant to come
   * @param killedByPlan the plan's moment came (otherwise the harness killed at its timeout)
   * @param exitCode the child's exit code (137 for SIGKILL)
   * @param acksAtKill acknowledgements read when the kill was sent
   * @param acks every acknowledgement the child printed before it died
   * @param writesFailed writes the child saw fail
   * @param compactionsStarted compactions requested before it died
   * @param compactionsFinished compactions installed before it died
   * @param killedDuringCompaction as far as the parent had read, a compaction had started and not finished
   *     when it sent the kill (the child may have got a little further before the signal landed)
   * @param compactionsInstalled compactions the journal gained during this child's life (auto-compactions too)
   * @param filesAfterKill files in the CAR directory right after the kill (temp files included)
   * @param carLogLength CARs the CarLog names after the restart
   * @param liveDocs live documents after the restart
   * @param lastSeq the last sequence number after the restart
   * @param counts what the check found about writes in flight
   * @param deletionsStarted deletions of replaced CARs the child announced (only with a delete pause)
   * @param deletionsFinished of those, how many it reported done
   * @param killedDuringDeletion as far as the parent had read, a deletion had started and not finished
   *     when it sent the kill
   */
  public record Cycle(
      int cycle, KillPlan plan, boolean killedByPlan, int exitCode, int acksAtKill, int acks, int writesFailed,
      int compactionsStarted, int compactionsFinished, boolean killedDuringCompaction, long compactionsInstalled,
      int filesAfterKill,
      int carLogLength, long liveDocs, long lastSeq, CrashLedger.CheckCounts counts, long childMillis, long verifyMillis,
      int deletionsStarted, int deletionsFinished, boolean killedDuringDeletion) {

    /** Files the restart removed: orphan CARs and temp files of commits or compactions cut short. */
    public int filesRemovedAtRestart() {
      return filesAfterKill - carLogLength;
    }

    public String summary(long seed, int of) {
      return String.format(
          "crash seed=%d cycle %d/%d: %s -> %s (exit %d) at %d acks%s; %d acks verified, %d failed writes, "
              + "%d writes in flight (%d stored, %d not), %d live docs, last seq %d; CARs: %d files after the kill, "
              + "%d after restart = CarLog %d; compactions: %d requested, %d answered, %d installed; "
              + "child %.1f s, verify %.1f s",
          seed, cycle, of, plan, killedByPlan ? "killed" : "killed at timeout", exitCode, acksAtKill,
          (killedDuringCompaction ? " during a compaction" : "") + (killedDuringDeletion ? " during deletion of a replaced CAR" : ""),
          acks, writesFailed, counts.inFlight(),
          counts.inFlightStored(), counts.inFlightLost(), liveDocs, lastSeq, filesAfterKill, carLogLength, carLogLength,
          compactionsStarted, compactionsFinished, compactionsInstalled, childMillis / 1000.0, verifyMillis / 1000.0);
    }
  }

  public int kills() {
    return cycles.size();
  }

  public int acksVerified() {
    return cycles.stream().mapToInt(Cycle::acks).sum();
  }

  public int killsDuringCompaction() {
    return (int) cycles.stream().filter(Cycle::killedDuringCompaction).count();
  }

  public int killsDuringDeletion() {
    return (int) cycles.stream().filter(Cycle::killedDuringDeletion).count();
  }

  /**
   * Kills by the moment their plan picked: {@code after-acks}, {@code compaction-started},
   * {@code compaction-finished}, {@code deletion-started}, and {@code timeout} for kills whose moment
   * never came. (What was really running at the kill: {@link #killsDuringCompaction},
   * {@link #killsDuringDeletion}.)
   */
  public Map<String, Integer> killsByKind() {
    Map<String, Integer> kinds = new LinkedHashMap<>();
    for (KillPlan.Trigger t : KillPlan.Trigger.values()) {
      kinds.put(kindName(t), 0);
    }
    kinds.put("timeout", 0);
    for (Cycle c : cycles) {
      kinds.merge(c.killedByPlan() ? kindName(c.plan().trigger()) : "timeout", 1, Integer::sum);
    }
    return kinds;
  }

  static String kindName(KillPlan.Trigger t) {
    return switch (t) {
      case ACKS -> "after-acks";
      case COMPACTION_STARTED -> "compaction-started";
      case COMPACTION_FINISHED -> "compaction-finished";
      case DELETION_STARTED -> "deletion-started";
    };
  }

  public int killsRightAfterCompaction() {
    return (int) cycles.stream().filter(c -> c.plan().trigger() == KillPlan.Trigger.COMPACTION_FINISHED && c.killedByPlan()).count();
  }

  public int killsAtTimeout() {
    return (int) cycles.stream().filter(c -> !c.killedByPlan()).count();
  }

  public long compactionsInstalled() {
    return cycles.stream().mapToLong(Cycle::compactionsInstalled).sum();
  }

  public int filesRemovedAtRestart() {
    return cycles.stream().mapToInt(Cycle::filesRemovedAtRestart).sum();
  }

  public int writesFailed() {
    return cycles.stream().mapToInt(Cycle::writesFailed).sum();
  }

  public int inFlightStored() {
    return cycles.stream().mapToInt(c -> c.counts().inFlightStored()).sum();
  }

  public int inFlightLost() {
    return cycles.stream().mapToInt(c -> c.counts().inFlightLost()).sum();
  }

  public String summary() {
    return String.format("crash seed=%d: %d cycles, %d kills (%d during a compaction, %d right after one, "
            + "%d during deletion of replaced CARs, %d at timeout), "
            + "%d acks verified, 0 lost, %d compactions installed, %d files removed at restarts, "
            + "writes in flight at kills: %d stored, %d not; %d failed writes",
        seed, cycles.size(), kills(), killsDuringCompaction(), killsRightAfterCompaction(), killsDuringDeletion(),
        killsAtTimeout(),
        acksVerified(), compactionsInstalled(), filesRemovedAtRestart(), inFlightStored(), inFlightLost(), writesFailed());
  }
}
