package dev.kiln.testkit.crash;

import java.util.Random;

/**
 * When the harness sends SIGKILL to the child, counted in lines the child printed, so the moment
 * does not depend on how fast the machine is.
 *
 * @param trigger what is counted
 * @param count the kill comes when this many of them were read (from 1)
 * @param thenAcks and this many acknowledgements after that
 */
public record KillPlan(Trigger trigger, int count, int thenAcks) {

  public enum Trigger {
    /** After {@code count} acknowledgements. */
    ACKS,
    /** After the {@code count}-th {@code COMPACTING} line: while that compaction runs. */
    COMPACTION_STARTED,
    /** After the {@code count}-th {@code COMPACTED} line: the replaced CARs may still be on disk. */
    COMPACTION_FINISHED,
    /**
     * After the {@code count}-th {@code DELETING} line: while a replaced CAR is being deleted (the
     * child must run with a delete pause, see {@link CrashHarness.Builder#deletePause}).
     */
    DELETION_STARTED
  }

  public KillPlan {
    if (trigger == null || count < 1 || thenAcks < 0) {
      throw new IllegalArgumentException("a kill plan needs a trigger, a count of at least 1 and thenAcks of 0 or more: "
          + trigger + " " + count + " " + thenAcks);
    }
  }

  public static KillPlan afterAcks(int acks) {
    return new KillPlan(Trigger.ACKS, acks, 0);
  }

  public static KillPlan afterCompactionStarted(int compaction, int thenAcks) {
    return new KillPlan(Trigger.COMPACTION_STARTED, compaction, thenAcks);
  }

  public static KillPlan afterCompactionFinished(int compaction, int thenAcks) {
    return new KillPlan(Trigger.COMPACTION_FINISHED, compaction, thenAcks);
  }

  /** Kills while the {@code deletion}-th replaced CAR is being deleted ({@code thenAcks} acks later). */
  public static KillPlan duringDeletion(int deletion, int thenAcks) {
    return new KillPlan(Trigger.DELETION_STARTED, deletion, thenAcks);
  }

  /**
   * A random plan: after 20 to 400 acknowledgements; or, when the child compacts, just after a
   * compaction started (0 to 10 acks later) or finished (0 to 3 acks later).
   */
  public static KillPlan random(Random random, boolean childCompacts) {
    int pick = childCompacts ? random.nextInt(3) : 0;
    return switch (pick) {
      case 0 -> afterAcks(20 + random.nextInt(381));
      case 1 -> afterCompactionStarted(1 + random.nextInt(4), random.nextInt(11));
      default -> afterCompactionFinished(1 + random.nextInt(4), random.nextInt(4));
    };
  }

  /**
   * As {@link #random(Random, boolean)}, and when deletions of replaced CARs pause, one plan in four
   * kills inside one: at the first to sixth deletion, mostly at once, now and then an ack later.
   */
  public static KillPlan random(Random random, boolean childCompacts, boolean deletionsPause) {
    if (childCompacts && deletionsPause && random.nextInt(4) == 0) {
      return duringDeletion(1 + random.nextInt(6), random.nextInt(4) == 0 ? 1 : 0);
    }
    return random(random, childCompacts);
  }

  /** Whether the counted event (before the extra acks) was read. */
  boolean triggered(int acks, int compactionsStarted, int compactionsFinished, int deletionsStarted) {
    return switch (trigger) {
      case DELETION_STARTED -> deletionsStarted >= count;
      case ACKS -> acks >= count;
      case COMPACTION_STARTED -> compactionsStarted >= count;
      case COMPACTION_FINISHED -> compactionsFinished >= count;
    };
  }

  @Override
  public String toString() {
    return switch (trigger) {
      case ACKS -> "kill after " + count + " acks";
      case COMPACTION_STARTED -> "kill " + thenAcks + " acks after compaction " + count + " started";
      case COMPACTION_FINISHED -> "kill " + thenAcks + " acks after compaction " + count + " finished";
      case DELETION_STARTED -> "kill " + thenAcks + " acks after deletion " + count + " of a replaced CAR started";
    };
  }
}
