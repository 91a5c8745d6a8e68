package dev.kiln.engine.actor;

import dev.kiln.engine.config.DatabaseSettings;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.BlockLocation;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.car.ForwardingCarStore;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.AllDocsResult;
import dev.kiln.protocol.DatabaseProtocol.DocResult;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import dev.kiln.protocol.DatabaseProtocol.ViewOpened;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.BehaviorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.internal.AdaptMessage;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;

/**
 * A deterministic scheduler over the three real actors of one database. It decides, one step at a
 * time and by a seeded random choice, which of the things that could happen next happens:
 *
 * <ul>
 *   <li>a message in flight between the actors is delivered (FIFO per sender and receiver, as
 *       Pekko guarantees, so only the head of each channel can be chosen);
 *   <li>a piece of blocking work (a commit build and CAR write, a compaction walk, a read, a
 *       deletion, the start-up load) runs to its end; its {@code pipeToSelf} result is then a
 *       message like any other;
 *   <li>a client of a small scripted workload sends its next request (writers, a reader, a reader
 *       in a view, a compaction caller), once its previous request was answered;
 *   <li>now and then a timer fires: the compaction max-wait (invariant 3's barrier) or a view's
 *       idle timeout.
 * </ul>
 *
 * <p>How the actors are run: the CommitActor and the CompactorActor under {@link BehaviorTestKit}
 * (synchronous); the DatabaseActor, an {@code EventSourcedBehavior} that the synchronous kit cannot
 * run (Pekko 1.7.0 has no {@code UnpersistentBehavior}), as a real actor on the in-memory journal
 * of pekko-persistence-testkit. Its children are {@link TestInbox} refs given to it through
 * {@link Wiring}, so everything it sends them waits here; the children report to another inbox.
 * After every step that gives the DatabaseActor something to do, the scheduler waits until it has
 * done all of it: it sends a request the actor answers at once (a read in a view that does not
 * exist) and waits for the answer; the mailbox is FIFO and the actor stashes commands while it
 * persists, so the answer comes after the message, its persist and its {@code thenRun}. Nothing
 * else moves meanwhile: every executor the actors use queues its work here ({@link
 * Wiring#blocking}), the real timers are set far beyond a schedule's length (the scheduler sends
 * their messages itself), and block reads bypass the cache, so a schedule depends only on its
 * seed and the same seed replays the same trace. A {@code pipeToSelf} of a child lands in its
 * kit's self inbox as Pekko's internal {@code AdaptMessage}, which the scheduler unwraps.
 *
 * <p>It lives in the engine's test sources, in this package, because it drives the actors'
 * package-private protocol (Committed, Idle, ReleaseLease, the timer messages) and builds the
 * DatabaseActor with an {@link InjectedBug}; in testkit it would need those made public.
 *
 * <p>Checked during a schedule: every request is answered without error (a NOT_FOUND only where
 * the model allows it); a read returns a version no older than the newest acknowledged before it
 * was sent; reads in a view return one value per document throughout; nothing is left waiting
 * when no step is left. At the end: a full read matches the model exactly; the journal's CarLog
 * names only CARs the store holds and the store holds no CAR the CarLog does not name; after a
 * restart from the journal the full read matches again.
 */
final class ScheduleExplorer {
  /** How long a step may take in wall time before the schedule counts as stuck. */
  private static final Duration STEP_WAIT = dev.kiln.engine.TestTime.dilated(Duration.ofSeconds(10));
  /** Far beyond any schedule: timers never fire on their own (their orders are not explored). */
  private static final Duration NEVER = Duration.ofHours(1);
  private static final AtomicInteger NAMES = new AtomicInteger();

  /**
   * The result of one schedule: its trace, why it failed (null when it passed), and how often it
   * reached the two orders the invariants 4 and 7 are about.
   *
   * @param installsKeepingAppends compactions installed with CARs appended after their snapshot
   * @param readsOfReplacedCars block reads served by a CAR that a compaction had already replaced,
   *     possible only because a lease on an older generation kept it
   * @param writesHeld writes held back by the compaction max-wait barrier (invariant 3)
   */
  record Outcome(long seed, InjectedBug bug, List<String> trace, String failure, boolean explorerLimit,
      int installsKeepingAppends, int readsOfReplacedCars, int writesHeld) {
    boolean failed() {
      return failure != null;
    }

    /** Failed because the database broke a promise, not because the explorer hit its own limit. */
    boolean brokePromise() {
      return failure != null && !explorerLimit;
    }

    int steps() {
      return trace.size();
    }

    /** The failure with the seed and the trace, for a failing test's message. */
    String report() {
      return report(trace.size());
    }

    /** The same with only the last {@code lastSteps} steps of the trace. */
    String report(int lastSteps) {
      StringBuilder b = new StringBuilder();
      b.append("schedule seed ").append(seed).append(" (").append(Strategy.of(seed)).append(")")
          .append(failed() ? " FAILED: " + failure : " passed").append('\n');
      b.append("injected bug: ").append(bug).append("; replay: explorer.run(").append(seed)
          .append("L) with that bug on, or -Dtest=ScheduleExplorationTest -Dkiln.explore.seed=").append(seed)
          .append(" -Dkiln.explore.schedules=1; trace (").append(trace.size()).append(" steps):\n");
      if (lastSteps < trace.size()) {
        b.append("   ... (").append(trace.size() - lastSteps).append(" steps before)\n");
      }
      for (int i = Math.max(0, trace.size() - lastSteps); i < trace.size(); i++) {
        b.append(String.format("%4d  %s%n", i, trace.get(i)));
      }
      return b.toString();
    }
  }

  private final ActorTestKit kit;
  private final PersistenceTestKit journal;
  private final DatabaseSettings settings;
  private final int maxSteps;

  ScheduleExplorer(ActorTestKit kit, int maxSteps) {
    this.kit = kit;
    this.journal = PersistenceTestKit.create(kit.system());
    this.settings = new DatabaseSettings(Path.of("unused"), false, 3, NEVER, 1 << 20, 10_000, 10_000, 100,
        NEVER, NEVER);
    this.maxSteps = maxSteps;
  }

  /** Runs the schedule of one seed on the real code. */
  Outcome run(long seed) {
    return run(seed, InjectedBug.NONE);
  }

  /** Runs the schedule of one seed with {@code bug} built into the DatabaseActor. */
  Outcome run(long seed, InjectedBug bug) {
    Schedule s = new Schedule(seed, bug);
    String failure = null;
    boolean limit = false;
    try {
      s.runToTheEnd();
    } catch (ScheduleFailure e) {
      failure = e.getMessage();
      limit = e.limit;
    } catch (RuntimeException | AssertionError e) {
      failure = "unexpected " + e;
    } finally {
      s.dispose();
    }
    return new Outcome(seed, bug, List.copyOf(s.trace), failure, limit, s.installsKeepingAppends,
        s.store.readsOfReplaced, s.writesHeld);
  }

  /**
   * A schedule that did not pass: an invariant broken (a promise of the database), or, with
   * {@code limit}, the explorer's own limit reached (a step that did not finish in time, too many
   * steps), which says nothing about the database and must never count as finding a bug.
   */
  static final class ScheduleFailure extends RuntimeException {
    final boolean limit;

    ScheduleFailure(String message, boolean limit) {
      super(message);
      this.limit = limit;
    }
  }

  private static ScheduleFailure failure(String message) {
    return new ScheduleFailure(message, false);
  }

  private static ScheduleFailure limit(String message) {
    return new ScheduleFailure(message, true);
  }

  // ------------------------------------------------------------------ the workload

  /** One request of a scripted client. {@code version} numbers the writes of one key from 1. */
  private sealed interface Op permits Put, Del, Get, OpenView, ViewGet, CloseView, Compact {}

  private record Put(String key, int version) implements Op {}

  private record Del(String key, int version) implements Op {}

  private record Get(String key) implements Op {}

  private record OpenView() implements Op {}

  private record ViewGet(String key) implements Op {}

  private record CloseView() implements Op {}

  private record Compact() implements Op {}

  /** The writes of every key, in order: true for a put, false for a delete; index 0 = never written. */
  private static final class Model {
    final Map<String, List<Boolean>> writes = new TreeMap<>();
    final Map<String, Integer> sent = new HashMap<>();
    final Map<String, Integer> acked = new HashMap<>();

    int sent(String key) {
      return sent.getOrDefault(key, 0);
    }

    int acked(String key) {
      return acked.getOrDefault(key, 0);
    }

    boolean isPut(String key, int version) {
      return version > 0 && writes.get(key).get(version);
    }

    /** Versions a read may return: not older than {@code from} (acked before it), not newer than sent. */
    boolean allows(String key, int from, int to, Integer seen) {
      for (int v = from; v <= to; v++) {
        boolean live = isPut(key, v);
        if (seen == null ? !live : (live && v == seen)) {
          return true;
        }
      }
      return false;
    }
  }

  private static final class Client {
    final String name;
    final List<Op> ops;
    int next;
    Request outstanding;
    long view;
    Map<String, Integer> ackedAtOpen;
    final Map<String, Integer> seenInView = new HashMap<>();
    boolean viewOpen;
    /** The scheduler fired the view's idle timer: the database closed it. */
    boolean viewIdled;
    final Map<String, Integer> sentAtOpen = new HashMap<>();

    Client(String name, List<Op> ops) {
      this.name = name;
      this.ops = ops;
    }

    boolean ready() {
      return outstanding == null && next < ops.size();
    }
  }

  /** A request sent and not yet answered. */
  private record Request(Client client, Op op, TestInbox<Object> reply, Map<String, Integer> ackedAtSend) {}

  /** Two writers on keys of their own, a reader, a reader in a view and a compaction caller. */
  private static List<Client> workload(Random r, Model model) {
    List<Client> clients = new ArrayList<>();
    String[] keys = {"a1", "a2", "b1", "b2"};
    for (String w : new String[] {"a", "b"}) {
      List<Op> ops = new ArrayList<>();
      int writes = 4 + r.nextInt(3);
      for (int i = 0; i < writes; i++) {
        String key = w + (1 + r.nextInt(2));
        List<Boolean> history = model.writes.computeIfAbsent(key, k -> new ArrayList<>(List.of(false)));
        int version = history.size();
        // a delete only of a live document (deleting a deleted one is refused with NOT_FOUND)
        boolean put = !history.get(version - 1) || r.nextInt(4) != 0;
        history.add(put);
        ops.add(put ? new Put(key, version) : new Del(key, version));
      }
      clients.add(new Client("writer-" + w, ops));
    }
    for (String k : keys) {
      model.writes.computeIfAbsent(k, x -> new ArrayList<>(List.of(false)));
    }
    List<Op> reads = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      reads.add(new Get(keys[r.nextInt(keys.length)]));
    }
    clients.add(new Client("reader", reads));
    List<Op> view = new ArrayList<>();
    for (int round = 0; round < 2; round++) {
      view.add(new OpenView());
      for (int i = 0; i < 3; i++) {
        view.add(new ViewGet(keys[r.nextInt(keys.length)]));
      }
      view.add(new CloseView());
    }
    clients.add(new Client("viewer", view));
    clients.add(new Client("compactor", List.of(new Compact(), new Compact())));
    return clients;
  }

  // ------------------------------------------------------------------ one schedule

  /**
   * Blocking work: queued until the scheduler starts it, then run on a thread of its own that stops
   * before each call to the CAR store until the scheduler lets it go on. One thread moves at a time,
   * so the orders of these threads' store calls are explored as well, deterministically.
   */
  private static final class Task {
    final int id;
    final String owner;
    final int submittedAt;
    final Runnable work;
    final Tasks tasks;
    final Semaphore go = new Semaphore(0);
    Thread thread;
    /** What the task does when it goes on: its next store call. */
    volatile String next = "starts";
    volatile boolean done;
    volatile boolean abandoned;

    Task(int id, String owner, int submittedAt, Runnable work, Tasks tasks) {
      this.id = id;
      this.owner = owner;
      this.submittedAt = submittedAt;
      this.work = work;
      this.tasks = tasks;
    }
  }

  /** The task whose thread this is (null on other threads). */
  private static final ThreadLocal<Task> RUNNING = new ThreadLocal<>();

  /** Unwinds the thread of a task left midway when its schedule ended. */
  private static final class Abandoned extends RuntimeException {
    Abandoned() {
      super("the schedule ended", null, false, false);
    }
  }

  /**
   * Called before each store call: on a task's thread, it stops there until the scheduler lets the
   * task go on.
   */
  private static void pause(String action) {
    Task t = RUNNING.get();
    if (t == null) {
      return;
    }
    t.next = action;
    t.tasks.parked.release();
    t.go.acquireUninterruptibly();
    if (t.abandoned) {
      throw new Abandoned();
    }
  }

  /** The executors of the actors: each queues its work here, to run when the scheduler says. */
  private final class Tasks {
    private final List<Task> queued = new ArrayList<>();
    private int ids;
    private final Schedule schedule;
    /** Released when the moving task stops before a store call or ends. */
    final Semaphore parked = new Semaphore(0);

    Tasks(Schedule schedule) {
      this.schedule = schedule;
    }

    Executor of(String owner) {
      return work -> add(owner, work);
    }

    private synchronized void add(String owner, Runnable work) {
      queued.add(new Task(++ids, owner, schedule.trace.size(), work, this));
      notifyAll();
    }

    synchronized List<Task> snapshot() {
      return new ArrayList<>(queued);
    }

    synchronized void remove(Task t) {
      queued.remove(t);
    }

    synchronized int count() {
      return ids;
    }

    /** Lets the task run until it stops before its next store call, or ends. */
    void advance(Task t) {
      if (t.thread == null) {
        t.thread = new Thread(() -> {
          RUNNING.set(t);
          try {
            t.work.run();
          } finally {
            t.done = true;
            parked.release();
          }
        }, "explored-task-" + t.id);
        t.thread.setDaemon(true);
        t.thread.start();
      } else {
        t.go.release();
      }
      try {
        if (!parked.tryAcquire(STEP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
          throw limit("task " + t.id + " neither reached its next store call nor ended within " + STEP_WAIT);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw limit("interrupted");
      }
      if (t.done) {
        remove(t);
      }
    }

    /** Ends the threads of tasks stopped midway (the schedule ended early). */
    void abandon() {
      for (Task t : snapshot()) {
        if (t.thread != null && !t.done) {
          t.abandoned = true;
          t.go.release();
        }
      }
    }

    /** Waits until a task after the first {@code count} is queued, and returns it. */
    synchronized Task awaitAfter(int count) throws InterruptedException {
      long end = System.nanoTime() + STEP_WAIT.toNanos();
      while (ids <= count) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          throw limit("the database never queued its start-up load");
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      return queued.get(queued.size() - 1);
    }
  }

  /** What the scheduler may choose at one step. */
  private interface Choice {
    String label();

    /** Where the event comes from (a channel, a task, a client, a timer): what PCT gives a priority. */
    String source();

    void take();
  }

  /** How a schedule picks among the enabled events. */
  enum Strategy {
    /** Each enabled event equally likely: a random walk. */
    RANDOM_WALK,
    /**
     * Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): every source of events
     * gets a random priority when first seen and the highest enabled one goes; at a few random
     * steps the source just chosen drops below all others. It reaches deep orders (one side
     * running far ahead of another) that a random walk rarely takes.
     */
    PCT;

    /** The strategy of a seed: odd seeds walk at random, even seeds use PCT. */
    static Strategy of(long seed) {
      return seed % 2 == 0 ? PCT : RANDOM_WALK;
    }
  }

  /** The state of PCT in one schedule. */
  private static final class Priorities {
    private static final int CHANGE_POINTS = 3;
    /** Steps a schedule usually takes; change points fall among them. */
    private static final int TYPICAL_STEPS = 220;
    private final Random random;
    private final Map<String, Double> priority = new HashMap<>();
    private final Set<Integer> changeAt = new HashSet<>();
    private double lowest;

    Priorities(Random random) {
      this.random = random;
      while (changeAt.size() < CHANGE_POINTS) {
        changeAt.add(random.nextInt(TYPICAL_STEPS));
      }
    }

    Choice pick(List<Choice> choices, int step) {
      Choice best = null;
      double top = Double.NEGATIVE_INFINITY;
      for (Choice c : choices) {
        double p = priority.computeIfAbsent(c.source(), k -> 1 + random.nextDouble());
        if (p > top) {
          top = p;
          best = c;
        }
      }
      if (changeAt.contains(step)) {
        priority.put(best.source(), --lowest);
      }
      return best;
    }
  }

  private final class Schedule {
    final long seed;
    final Random random;
    /** Null for a random walk. */
    final Priorities priorities;
    final List<String> trace = new ArrayList<>();
    final String name = "explore-" + NAMES.incrementAndGet();
    final WatchedStore store = new WatchedStore(new MemoryCarStore());
    /** The journal as read so far: the CarLog it builds, to know which CARs are replaced. */
    Events.State journalState = Events.State.empty();
    int eventsSeen;
    int installsKeepingAppends;
    int writesHeld;
    /** Every block read goes to the store (a cached block would hide a deleted CAR). */
    final Cache<Cid, Block> cache = Caffeine.newBuilder().maximumSize(0).expireAfterWrite(Duration.ZERO)
        .executor(Runnable::run).build();
    final Model model = new Model();
    final List<Client> clients;
    final Tasks tasks = new Tasks(this);
    final TestProbe<StatusReply<DocResult>> ping = kit.createTestProbe();
    Incarnation db;

    /** Built into the DatabaseActor of this schedule (NONE: the real code). */
    final InjectedBug bug;

    Schedule(long seed, InjectedBug bug) {
      this.seed = seed;
      this.bug = bug;
      this.random = new Random(seed);
      this.priorities = Strategy.of(seed) == Strategy.PCT ? new Priorities(new Random(seed * 17 + 3)) : null;
      this.clients = workload(new Random(seed * 31 + 7), model);
    }

    void runToTheEnd() {
      db = new Incarnation(this);
      while (true) {
        List<Choice> choices = choices(true);
        if (choices.isEmpty()) {
          break;
        }
        step(choices);
      }
      for (Client c : clients) {
        if (c.outstanding != null || c.next < c.ops.size()) {
          throw failure("nothing left to do, but " + c.name + " still waits for an answer to " + c.outstanding);
        }
      }
      checkFullRead("after the workload");
      checkFilesMatchCarLog();
      db.close();
      trace.add("restart from the journal");
      db = new Incarnation(this);
      checkFullRead("after a restart");
      db.close();
    }

    void step(List<Choice> choices) {
      if (trace.size() >= maxSteps) {
        throw limit("did not settle within " + maxSteps + " steps");
      }
      Choice c = priorities != null ? priorities.pick(choices, trace.size())
          : choices.get(random.nextInt(choices.size()));
      trace.add(c.label());
      c.take();
      db.collect();
      collectReplies();
      if (db.touched) {
        db.touched = false;
        readJournal();
      }
    }

    /** Notes the CARs that compactions replaced, and installs that kept appended CARs. */
    void readJournal() {
      List<Object> events = journal.persistedInStorage(DatabaseActor.persistenceId(name).id());
      for (; eventsSeen < events.size(); eventsSeen++) {
        Events.Event e = (Events.Event) events.get(eventsSeen);
        Events.State next = journalState.apply(e);
        if (e instanceof Events.Compacted compacted) {
          if (compacted.kept() > 0) {
            installsKeepingAppends++;
          }
          Set<Cid> gone = new HashSet<>(journalState.carLog());
          gone.removeAll(next.carLog());
          store.replaced.addAll(gone);
        }
        journalState = next;
      }
    }

    /** Everything that may happen next; client requests only when {@code withClients}. */
    List<Choice> choices(boolean withClients) {
      List<Choice> out = new ArrayList<>();
      db.channelChoices(out);
      timerChoices(out);
      for (Task t : tasks.snapshot()) {
        out.add(new Choice() {
          public String label() {
            return "task " + t.id + " of " + t.owner + " (queued at step " + t.submittedAt + ") " + t.next;
          }

          public String source() {
            return "task " + t.id;
          }

          public void take() {
            tasks.advance(t);
            if (t.done && t.owner.equals("database")) {
              db.settle();
            }
          }
        });
      }
      if (withClients) {
        for (Client c : clients) {
          if (c.ready()) {
            Op op = c.ops.get(c.next);
            out.add(new Choice() {
              public String label() {
                return c.name + " sends " + op;
              }

              public String source() {
                return c.name;
              }

              public void take() {
                send(c, op);
              }
            });
          }
        }
      }
      return out;
    }

    /**
     * The timers, fired as the scheduler chooses: the compaction max-wait (which holds writes back
     * until the compaction starts) and a view's idle timeout. Offered at one step in eight, so that
     * they fire now and then rather than at once.
     */
    void timerChoices(List<Choice> out) {
      if (random.nextInt(8) != 0) {
        return;
      }
      if (db.maxWaitFirings < 3) {
        long request = db.compactsSent + 1; // the number of the request waiting, if one is
        out.add(new Choice() {
          public String label() {
            return "timer: compaction max-wait of request " + request + " elapses";
          }

          public String source() {
            return "max-wait timer";
          }

          public void take() {
            db.maxWaitFirings++;
            db.ref.tell(new Internal.MaxWaitElapsed(0, request));
            db.settle();
          }
        });
      }
      for (Client c : clients) {
        if (c.viewOpen && !c.viewIdled) {
          out.add(new Choice() {
            public String label() {
              return "timer: view " + c.view + " of " + c.name + " idles out";
            }

            public String source() {
              return "view timer of " + c.name;
            }

            public void take() {
              c.viewIdled = true;
              db.ref.tell(new Internal.ViewIdle(0, c.view));
              db.settle();
            }
          });
        }
      }
    }

    void send(Client c, Op op) {
      c.next++;
      TestInbox<Object> reply = TestInbox.create();
      Request r = new Request(c, op, reply, new HashMap<>(model.acked));
      c.outstanding = r;
      db.ref.tell(command(c, op, reply));
      if (op instanceof Put p) {
        model.sent.put(p.key(), p.version());
      } else if (op instanceof Del d) {
        model.sent.put(d.key(), d.version());
      } else if (op instanceof CloseView) {
        c.outstanding = null; // CloseView has no answer
        c.seenInView.clear();
        c.viewOpen = false;
      }
      db.settle();
      if ((op instanceof Put || op instanceof Del) && db.loaded && !db.toCommit.hasMessages()) {
        writesHeld++; // the database kept it back: the max-wait barrier holds writes
      }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    DatabaseProtocol.Command command(Client c, Op op, TestInbox<Object> reply) {
      ActorRef ref = reply.getRef();
      if (op instanceof Put p) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode().put("_id", p.key()).put("v", p.version());
        return new DatabaseProtocol.Put(doc, ref);
      } else if (op instanceof Del d) {
        return new DatabaseProtocol.Delete(d.key(), ref);
      } else if (op instanceof Get g) {
        return new DatabaseProtocol.Get(g.key(), ref);
      } else if (op instanceof OpenView) {
        return new DatabaseProtocol.OpenView(ref);
      } else if (op instanceof ViewGet g) {
        return new DatabaseProtocol.InView(c.view, new DatabaseProtocol.Get(g.key(), ref));
      } else if (op instanceof CloseView) {
        return new DatabaseProtocol.CloseView(c.view);
      }
      return new DatabaseProtocol.Compact(ref);
    }

    void collectReplies() {
      for (Client c : clients) {
        Request r = c.outstanding;
        if (r != null && r.reply().hasMessages()) {
          c.outstanding = null;
          check(r, (StatusReply<?>) r.reply().receiveMessage());
        }
      }
    }

    /** Checks one answer against the model. */
    void check(Request r, StatusReply<?> reply) {
      Client c = r.client();
      Op op = r.op();
      KilnException error = reply.isError() ? (KilnException) reply.getError() : null;
      String key = op instanceof Get g ? g.key() : op instanceof ViewGet g ? g.key() : null;
      boolean idledOut = op instanceof ViewGet && c.viewIdled && error != null
          && error.code() == ErrorCode.INVALID_QUERY && error.getMessage().contains("is not open");
      if (idledOut) {
        return; // a view closed by its idle timer answers so
      }
      if (error != null && !(key != null && error.code() == ErrorCode.NOT_FOUND)) {
        throw failure(c.name + ": " + op + " failed: " + error.code() + " " + error.getMessage());
      }
      if (op instanceof Put p) {
        model.acked.put(p.key(), p.version());
      } else if (op instanceof Del d) {
        model.acked.put(d.key(), d.version());
      } else if (op instanceof OpenView) {
        c.view = ((ViewOpened) reply.getValue()).view();
        c.viewOpen = true;
        c.viewIdled = false;
        c.ackedAtOpen = r.ackedAtSend();
        c.sentAtOpen.clear();
        c.sentAtOpen.putAll(model.sent);
      } else if (op instanceof Get g) {
        Integer seen = error != null ? null : version((DocResult) reply.getValue());
        int from = r.ackedAtSend().getOrDefault(g.key(), 0);
        if (!model.allows(g.key(), from, model.sent(g.key()), seen)) {
          throw failure(c.name + ": " + op + " returned " + shown(seen) + ", but version " + from
              + " was acknowledged before the read was sent (newest sent: " + model.sent(g.key()) + ")");
        }
      } else if (op instanceof ViewGet g) {
        Integer seen = error != null ? null : version((DocResult) reply.getValue());
        int seenCode = seen == null ? -1 : seen;
        Integer before = c.seenInView.putIfAbsent(g.key(), seenCode);
        if (before != null && before != seenCode) {
          throw failure(c.name + ": " + op + " returned " + shown(seen) + " in view " + c.view
              + ", which returned " + shown(before == -1 ? null : before) + " before");
        }
        int from = c.ackedAtOpen.getOrDefault(g.key(), 0);
        int to = c.sentAtOpen.getOrDefault(g.key(), 0);
        if (!model.allows(g.key(), from, to, seen)) {
          throw failure(c.name + ": " + op + " returned " + shown(seen) + " in view " + c.view
              + ", opened after version " + from + " was acknowledged and before " + (to + 1) + " was sent");
        }
      }
    }

    /** Drives the schedule (without new client requests) until this request is answered. */
    StatusReply<?> await(TestInbox<Object> reply, String what) {
      while (!reply.hasMessages()) {
        List<Choice> choices = choices(false);
        if (choices.isEmpty()) {
          throw failure(what + " got no answer and nothing is left to do");
        }
        step(choices);
      }
      return (StatusReply<?>) reply.receiveMessage();
    }

    void checkFullRead(String when) {
      TestInbox<Object> reply = TestInbox.create();
      trace.add("full read " + when);
      @SuppressWarnings({"unchecked", "rawtypes"})
      ActorRef<StatusReply<AllDocsResult>> ref = (ActorRef) reply.getRef();
      db.ref.tell(new DatabaseProtocol.AllDocs(AllDocsQuery.all(), ref));
      db.settle();
      StatusReply<?> answer = await(reply, "the full read " + when);
      if (answer.isError()) {
        throw failure("the full read " + when + " failed: " + answer.getError().getMessage());
      }
      Map<String, Integer> read = new TreeMap<>();
      for (DocRow row : ((AllDocsResult) answer.getValue()).rows()) {
        read.put(row.id(), row.doc().get("v").asInt());
      }
      Map<String, Integer> expected = new TreeMap<>();
      for (var e : model.writes.entrySet()) {
        int last = e.getValue().size() - 1;
        if (model.isPut(e.getKey(), last)) {
          expected.put(e.getKey(), last);
        }
      }
      if (!read.equals(expected)) {
        throw failure("the full read " + when + " returned " + read + ", the acknowledged writes say " + expected);
      }
    }

    void checkFilesMatchCarLog() {
      Events.State state = Events.State.empty();
      for (Object e : journal.persistedInStorage(DatabaseActor.persistenceId(name).id())) {
        state = state.apply((Events.Event) e);
      }
      Set<Cid> log = new HashSet<>(state.carLog());
      Set<Cid> files = new HashSet<>(store.list());
      Set<Cid> missing = new HashSet<>(log);
      missing.removeAll(files);
      if (!missing.isEmpty()) {
        throw failure("the CarLog names " + missing.size() + " CAR(s) the store does not hold: " + missing);
      }
      Set<Cid> leftOver = new HashSet<>(files);
      leftOver.removeAll(log);
      if (!leftOver.isEmpty()) {
        throw failure("once settled, the store holds " + leftOver.size() + " CAR(s) the CarLog does not name: "
            + leftOver);
      }
    }

    void dispose() {
      tasks.abandon();
      if (db != null) {
        db.stop();
      }
      journal.clearByPersistenceId(DatabaseActor.persistenceId(name).id());
    }
  }

  // ------------------------------------------------------------------ one run of the actors

  /** The three actors of one database, from start (recovery) to close. */
  private final class Incarnation {
    final Schedule schedule;
    final TestInbox<CommitActor.Command> toCommit = TestInbox.create();
    final TestInbox<CompactorActor.Command> toCompactor = TestInbox.create();
    final TestInbox<DatabaseProtocol.Command> fromCommit = TestInbox.create();
    final TestInbox<DatabaseProtocol.Command> fromCompactor = TestInbox.create();
    final BehaviorTestKit<CommitActor.Command> commit;
    final BehaviorTestKit<CompactorActor.Command> compactor;
    /** Messages in flight, FIFO per channel; channel names are the trace's words. */
    final Map<String, ArrayDeque<Object>> channels = new LinkedHashMap<>();
    final ActorRef<DatabaseProtocol.Command> ref;
    /** The start-up load; until it has run, the database only stashes what it gets. */
    final Task load;
    boolean loaded;
    boolean stopped;
    /** Compactions the database started (Compact messages it sent): the next request's number is one more. */
    int compactsSent;
    int maxWaitFirings;
    /** The database was given something to do since the journal was last read. */
    boolean touched;

    Incarnation(Schedule s) {
      this.schedule = s;
      commit = BehaviorTestKit.create(CommitActor.create(fromCommit.getRef(), s.store, s.cache,
          s.tasks.of("commit"), settings));
      compactor = BehaviorTestKit.create(CompactorActor.create(fromCompactor.getRef(), s.store, s.cache,
          s.tasks.of("compactor")));
      for (String c : List.of("database->commit", "database->compactor", "commit->database",
          "compactor->database", "commit->commit", "compactor->compactor")) {
        channels.put(c, new ArrayDeque<>());
      }
      Executor databaseWork = s.tasks.of("database");
      Wiring wiring = new Wiring() {
        @Override
        public ActorRef<CommitActor.Command> commitActor(Parts parts) {
          return toCommit.getRef();
        }

        @Override
        public ActorRef<CompactorActor.Command> compactor(Parts parts) {
          return toCompactor.getRef();
        }

        @Override
        public Executor blocking(ActorContext<DatabaseProtocol.Command> context) {
          return databaseWork;
        }

        @Override
        public Executor reads(ActorContext<DatabaseProtocol.Command> context) {
          return databaseWork;
        }
      };
      int before = s.tasks.count();
      ref = kit.spawn(DatabaseActor.create(s.name, s.store, s.cache, settings, wiring, s.bug), s.name + "-" + System.nanoTime());
      try {
        load = s.tasks.awaitAfter(before); // from here on, the database moves only when told
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw limit("interrupted");
      }
    }

    void channelChoices(List<Choice> out) {
      for (var e : channels.entrySet()) {
        ArrayDeque<Object> q = e.getValue();
        if (q.isEmpty()) {
          continue;
        }
        String channel = e.getKey();
        Object message = q.peek();
        out.add(new Choice() {
          public String label() {
            return channel + ": " + describe(message);
          }

          public String source() {
            return channel;
          }

          public void take() {
            q.poll();
            deliver(channel, message);
          }
        });
      }
    }

    void deliver(String channel, Object message) {
      switch (channel) {
        case "database->commit", "commit->commit" -> commit.run((CommitActor.Command) message);
        case "database->compactor", "compactor->compactor" -> compactor.run((CompactorActor.Command) message);
        default -> {
          ref.tell((DatabaseProtocol.Command) message);
          settle();
        }
      }
    }

    /**
     * Waits until the DatabaseActor has handled everything sent to it so far (see the class
     * comment). Before its start-up load has run it only stashes, so there is nothing to wait for.
     */
    void settle() {
      if (!loaded) {
        if (schedule.tasks.snapshot().contains(load)) {
          return;
        }
        loaded = true;
      }
      touched = true;
      ref.tell(new DatabaseProtocol.InView(Long.MIN_VALUE, new DatabaseProtocol.Get("ping", schedule.ping.ref())));
      try {
        schedule.ping.receiveMessage(STEP_WAIT);
      } catch (AssertionError e) {
        throw limit("the database did not answer within " + STEP_WAIT + " (stopped or stuck)");
      }
    }

    /** Moves what the actors sent since the last step into the channels. */
    void collect() {
      channels.get("database->commit").addAll(toCommit.getAllReceived());
      List<CompactorActor.Command> compacts = toCompactor.getAllReceived();
      compactsSent += compacts.size();
      channels.get("database->compactor").addAll(compacts);
      channels.get("commit->database").addAll(fromCommit.getAllReceived());
      channels.get("compactor->database").addAll(fromCompactor.getAllReceived());
      for (Object m : commit.selfInbox().getAllReceived()) {
        channels.get("commit->commit").add(adapt(m));
      }
      for (Object m : compactor.selfInbox().getAllReceived()) {
        channels.get("compactor->compactor").add(adapt(m));
      }
      commit.getAllEffects();
      compactor.getAllEffects();
      commit.clearLog();
      compactor.clearLog();
    }

    void close() {
      CompletableFuture<Done> closed = AskPattern.<DatabaseProtocol.Command, StatusReply<Done>>ask(ref,
          DatabaseProtocol.Close::new, STEP_WAIT, kit.system().scheduler()).toCompletableFuture()
          .thenApply(StatusReply::getValue);
      try {
        closed.get(STEP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        throw limit("closing the database failed: " + e);
      }
      kit.createTestProbe().expectTerminated(ref, STEP_WAIT);
      stopped = true;
    }

    void stop() {
      if (!stopped) {
        stopped = true;
        kit.stop(ref, STEP_WAIT);
      }
    }
  }

  /** The CAR store, counting the block reads served by CARs already replaced by a compaction. */
  private static final class WatchedStore extends ForwardingCarStore {
    final Set<Cid> replaced = new HashSet<>();
    int readsOfReplaced;

    WatchedStore(CarStore inner) {
      super(inner);
    }

    private void reading(Cid car, int blocks) {
      if (replaced.contains(car) && inner.exists(car)) {
        readsOfReplaced += blocks;
      }
    }

    @Override
    public CarIndex write(List<Cid> roots, Iterable<Block> blocks) {
      pause("writes a CAR");
      return inner.write(roots, blocks);
    }

    @Override
    public CarIndex open(Cid car) {
      pause("opens CAR " + shortCid(car));
      return inner.open(car);
    }

    @Override
    public Block read(Cid car, Cid block, BlockLocation at) {
      pause("reads a block of CAR " + shortCid(car));
      reading(car, 1);
      return inner.read(car, block, at);
    }

    @Override
    public List<Block> readMany(Cid car, List<Cid> blocks, List<BlockLocation> at) {
      pause("reads " + blocks.size() + " block(s) of CAR " + shortCid(car));
      reading(car, blocks.size());
      return inner.readMany(car, blocks, at);
    }

    @Override
    public List<Cid> list() {
      pause("lists the CARs");
      return inner.list();
    }

    @Override
    public void delete(Cid car) {
      pause("deletes CAR " + shortCid(car));
      inner.delete(car);
    }
  }

  private static String shortCid(Cid car) {
    String text = car.toString();
    return "…" + text.substring(text.length() - 6);
  }

  /** A pipeToSelf result, as the actor will see it. */
  private static Object adapt(Object m) {
    return m instanceof AdaptMessage<?, ?> a ? a.adapt() : m;
  }

  /** A short, deterministic description of an internal message (no object identities). */
  static String describe(Object m) {
    if (m instanceof CommitActor.Submit s) {
      return "Submit(write " + s.unit().writeId() + ")";
    } else if (m instanceof CommitActor.Appended a) {
      return "Appended(generation " + a.snapshot().generation() + ")";
    } else if (m instanceof CommitActor.Rebase r) {
      return "Rebase(generation " + r.snapshot().generation() + ")";
    } else if (m instanceof CompactorActor.Compact c) {
      return "Compact(generation " + c.snapshot().generation() + ", " + c.snapshot().carLog().size() + " CARs)";
    } else if (m instanceof Internal.Committed c) {
      return c.car() == null ? "Committed(nothing)" : "Committed(seq " + c.result().roots().seq() + ")";
    } else if (m instanceof Internal.CommitFailed f) {
      return "CommitFailed(" + f.writeIds() + ")";
    } else if (m instanceof Internal.Idle i) {
      return "Idle(last write " + i.lastWriteId() + ")";
    } else if (m instanceof Internal.ReleaseLease r) {
      return "ReleaseLease(generation " + r.generation() + ")";
    } else if (m instanceof Internal.CompactionDone d) {
      return "CompactionDone(of generation " + d.snapshot().generation() + ")";
    } else if (m instanceof Internal.CompactionFailed f) {
      return "CompactionFailed(of generation " + f.snapshot().generation() + ")";
    }
    return m.getClass().getSimpleName();
  }

  private static Integer version(DocResult r) {
    return r.doc().get("v").asInt();
  }

  private static String shown(Integer version) {
    return version == null ? "no document" : "version " + version;
  }
}
