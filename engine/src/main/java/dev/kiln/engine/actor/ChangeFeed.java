package dev.kiln.engine.actor;

import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.Change;
import dev.kiln.protocol.DatabaseProtocol.ChangeBatch;
import dev.kiln.protocol.DatabaseProtocol.ChangesResult;
import dev.kiln.protocol.DatabaseProtocol.FeedCancel;
import dev.kiln.protocol.DatabaseProtocol.FeedControl;
import dev.kiln.protocol.DatabaseProtocol.FeedDemand;
import dev.kiln.protocol.DatabaseProtocol.FeedEnded;
import dev.kiln.protocol.DatabaseProtocol.FeedPage;
import dev.kiln.protocol.DatabaseProtocol.FeedStarted;
import dev.kiln.protocol.DatabaseProtocol.Follow;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One {@link Follow} feed, a child of its DatabaseActor. It is an ordinary client of its database:
 * it subscribes to commits (only to learn that there is more to read) and reads the changes feed
 * in pages with {@link DatabaseProtocol.Changes} requests, each from the sequence the last page
 * ended at. Replay and following are the same loop, so there is no seam where a change could be
 * lost or repeated: every page starts after the last sequence sent, and the by-sequence tree of
 * the commit it reads holds every document changed since then (once, at its latest change), also
 * after compactions. A page is read only when the subscriber has asked for one, so the feed holds
 * no more than one page whatever the subscriber's speed.
 */
final class ChangeFeed extends AbstractBehavior<FeedControl> {

  /** A page was read (or failed). */
  private record PageRead(ChangesResult result, Throwable error) implements FeedControl {}

  /** A commit up to {@code seq} was installed. */
  private record Committed(long seq) implements FeedControl {}

  private record Retry() implements FeedControl {}

  private record SubscriberGone() implements FeedControl {}

  private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

  private final ActorRef<DatabaseProtocol.Command> database;
  private final Follow follow;
  private final Duration askTimeout;
  private final TimerScheduler<FeedControl> timers;
  /** With a key range: what the subscriber holds, as far as this feed knows (true: last sent in the range). */
  private final Map<String, Boolean> held = new HashMap<>();

  private long cursor;
  private String clock;
  private long demand;
  private boolean reading;
  /** A read failed because the database was busy; the next one waits for {@link Retry}. */
  private boolean retrying;
  /** Whether the store may hold changes after {@link #cursor}. */
  private boolean more = true;
  private long head = -1;
  private Duration backoff = Duration.ofMillis(50);
  private boolean ended;

  static Behavior<FeedControl> create(ActorRef<DatabaseProtocol.Command> database, Follow follow, Duration askTimeout) {
    if (follow.pageSize() < 1 || follow.since() < 0) {
      follow.subscriber().tell(new FeedEnded(ErrorCode.INVALID_QUERY, "a feed starts at sequence 0 or later and reads"
          + " pages of 1 or more changes, got since=" + follow.since() + " pageSize=" + follow.pageSize()));
      return Behaviors.stopped();
    }
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new ChangeFeed(ctx, timers, database, follow, askTimeout)));
  }

  private ChangeFeed(ActorContext<FeedControl> ctx, TimerScheduler<FeedControl> timers,
      ActorRef<DatabaseProtocol.Command> database, Follow follow, Duration askTimeout) {
    super(ctx);
    this.database = database;
    this.follow = follow;
    this.askTimeout = askTimeout;
    this.timers = timers;
    this.cursor = follow.since();
    this.clock = follow.sinceClock();
    ctx.watchWith(follow.subscriber(), new SubscriberGone());
    // Subscribed before the first read is asked for (both to the database, in this order), so a
    // commit the first page does not hold is announced.
    database.tell(new DatabaseProtocol.Subscribe(ctx.messageAdapter(ChangeBatch.class, ChangeFeed::committed)));
    follow.subscriber().tell(new FeedStarted(ctx.getSelf()));
  }

  private static Committed committed(ChangeBatch batch) {
    long seq = 0;
    for (Change c : batch.changes()) {
      seq = Math.max(seq, c.seq());
    }
    return new Committed(seq);
  }

  @Override
  public Receive<FeedControl> createReceive() {
    return newReceiveBuilder()
        .onMessage(FeedDemand.class, this::onDemand)
        .onMessage(PageRead.class, this::onPageRead)
        .onMessage(Committed.class, this::onCommitted)
        .onMessage(Retry.class, m -> {
          retrying = false;
          return readIfDue();
        })
        .onMessage(FeedCancel.class, m -> stopQuietly())
        .onMessage(SubscriberGone.class, m -> stopQuietly())
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  private Behavior<FeedControl> onDemand(FeedDemand m) {
    if (ended) {
      return this;
    }
    if (m.pages() < 1) {
      end(ErrorCode.INVALID_QUERY, "a feed's demand is 1 or more pages, got " + m.pages());
      return Behaviors.stopped();
    }
    demand = Math.min(Integer.MAX_VALUE, demand + m.pages()); // a count, never a buffer
    return readIfDue();
  }

  private Behavior<FeedControl> onCommitted(Committed m) {
    if (m.seq() > head) {
      head = m.seq();
    }
    if (head > cursor) {
      more = true;
    }
    return readIfDue();
  }

  private Behavior<FeedControl> readIfDue() {
    if (ended || reading || retrying || demand == 0 || !more) {
      return this;
    }
    reading = true;
    long since = cursor;
    String from = clock;
    getContext().askWithStatus(ChangesResult.class, database, askTimeout,
        r -> new DatabaseProtocol.Changes(since, from, follow.pageSize(), follow.idPrefix(), follow.includeDocs(),
            follow.range(), r),
        PageRead::new);
    return this;
  }

  private Behavior<FeedControl> onPageRead(PageRead m) {
    reading = false;
    if (ended) {
      return this;
    }
    if (m.error() != null) {
      KilnException k = Errors.toKiln(m.error());
      if (k.code() == ErrorCode.OVERLOADED || k.code() == ErrorCode.TIMEOUT) {
        // the database is busy: the feed holds only its cursor, so it can wait and read again
        retrying = true;
        timers.startSingleTimer("retry", new Retry(), backoff);
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        return this;
      }
      end(k.code(), k.getMessage());
      return Behaviors.stopped();
    }
    backoff = Duration.ofMillis(50);
    ChangesResult page = m.result();
    clock = null; // a clock names only where the feed starts
    boolean full = page.changes().size() >= follow.pageSize();
    cursor = Math.max(cursor, page.lastSeq());
    more = full || head > cursor;
    List<Change> send = follow.range() == null ? page.changes() : heldChanges(page.changes());
    if (!send.isEmpty()) {
      follow.subscriber().tell(new FeedPage(send, cursor, page.clock()));
      demand--;
    }
    return readIfDue();
  }

  /**
   * The changes of a filtered page the subscriber needs: every one in the range, and a leaving one
   * for a document it holds, or may hold (one it had before a feed that started after sequence 0).
   */
  private List<Change> heldChanges(List<Change> changes) {
    List<Change> out = new ArrayList<>(changes.size());
    for (Change c : changes) {
      if (Boolean.TRUE.equals(c.inRange())) {
        held.put(c.id(), true);
        out.add(c);
        continue;
      }
      Boolean had = held.get(c.id());
      boolean mayHold = had == null ? follow.since() > 0 || follow.sinceClock() != null : had;
      if (mayHold) {
        out.add(c);
      }
      if (follow.since() > 0 || follow.sinceClock() != null) {
        held.put(c.id(), false); // it now knows the subscriber does not hold it
      } else {
        held.remove(c.id()); // from the start, an unknown document is one it does not hold
      }
    }
    return out;
  }

  private void end(ErrorCode code, String message) {
    if (!ended) {
      ended = true;
      follow.subscriber().tell(new FeedEnded(code, message));
    }
  }

  private Behavior<FeedControl> stopQuietly() {
    ended = true;
    return Behaviors.stopped();
  }

  private Behavior<FeedControl> onPostStop(PostStop signal) {
    // stopped with its database (closed or destroyed): the subscriber learns it, once
    end(ErrorCode.CLOSED, "the database closed; resume from sequence " + cursor + " once it is open again");
    return this;
  }
}
