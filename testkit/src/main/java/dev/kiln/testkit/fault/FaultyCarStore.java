package dev.kiln.testkit.fault;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.BlockLocation;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.car.ForwardingCarStore;
import dev.kiln.engine.car.CarWriter;
import dev.kiln.protocol.Cid;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link CarStore} in front of another that fails, half-writes or stalls on a schedule, so tests
 * can check what the engine does when the disk misbehaves.
 *
 * <p>The schedule is a function of the seed and of each operation's number ("the 7th write"), never
 * of timing or thread interleaving: two stores with the same seed and configuration inject the same
 * faults into the same sequence of calls. Faults come from per-kind probabilities
 * ({@link Builder#rate}), from an explicit script ({@link Builder#failWrite}, {@link Builder#failRead},
 * {@link Builder#failReadsBetween}, {@link Builder#failWritesBetween}) and can be changed while the
 * store is in use ({@link #rate}, {@link #heal}). Every injected failure is an
 * {@link InjectedFaultException}, a {@link dev.kiln.engine.car.CarStoreException}; a write that fails,
 * whatever the kind, leaves nothing new in the wrapped store. Thread-safe.
 */
public final class FaultyCarStore extends ForwardingCarStore {

  /** The operations a fault can hit. */
  public enum Op { WRITE, READ }

  /** What can go wrong. */
  public enum Fault {
    /** The write fails before anything is written. */
    WRITE_FAILURE(Op.WRITE),
    /** The wrapped write starts but its blocks stop coming after some of them (a crash mid-stream). */
    PARTIAL_WRITE(Op.WRITE),
    /** The write fails before anything is written, with a "No space left on device" cause. */
    DISK_FULL(Op.WRITE),
    /** All the bytes are written, then making them durable fails; the new CAR is removed and the write throws. */
    FSYNC_FAILURE(Op.WRITE),
    /** A block read fails. */
    READ_FAILURE(Op.READ),
    /** A write or a read waits {@link Builder#slowness its delay} first, then goes ahead normally. */
    SLOW(null);

    private final Op op;

    Fault(Op op) {
      this.op = op;
    }

    /** The operation this kind of fault hits; null for one that hits every operation. */
    public Op op() {
      return op;
    }
  }

  /** One fault as it happened: the {@code nth} (from 1) call of {@code op} got {@code fault}. */
  public record Injection(Op op, long nth, Fault fault) {}

  /** A scripted fault: calls of {@code op} matching by number or by time get {@code fault}. */
  private record Rule(Op op, long fromNth, long toNth, Instant from, Instant until, Fault fault) {
    boolean matches(Op o, long nth, Instant now) {
      if (o != op || nth < fromNth || nth > toNth) {
        return false;
      }
      return from == null || (!now.isBefore(from) && now.isBefore(until));
    }
  }

  private static final List<Fault> WRITE_FAULTS =
      List.of(Fault.WRITE_FAILURE, Fault.PARTIAL_WRITE, Fault.DISK_FULL, Fault.FSYNC_FAILURE);

  private final long seed;
  private final Clock clock;
  private final Duration delay;
  private final Map<Fault, Double> rates = new EnumMap<>(Fault.class); // guarded by this
  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final Map<Op, AtomicLong> calls = new EnumMap<>(Op.class);
  private final Map<Fault, AtomicLong> injected = new EnumMap<>(Fault.class);
  private final List<Injection> log = Collections.synchronizedList(new ArrayList<>());

  private FaultyCarStore(Builder b) {
    super(b.inner);
    this.seed = b.seed;
    this.clock = b.clock;
    this.delay = b.delay;
    this.rates.putAll(b.rates);
    this.rules.addAll(b.rules);
    for (Op op : Op.values()) {
      calls.put(op, new AtomicLong());
    }
    for (Fault f : Fault.values()) {
      injected.put(f, new AtomicLong());
    }
  }

  public static Builder builder(CarStore inner) {
    return new Builder(inner);
  }

  /** The store this one wraps. */
  public CarStore inner() {
    return inner;
  }

  /** Stops every fault, probabilistic and scripted: from now on this store behaves like the one it wraps. */
  public synchronized void heal() {
    rates.clear();
    rules.clear();
  }

  /** Sets the probability of one kind of fault from now on (0 turns it off). */
  public synchronized void rate(Fault fault, double probability) {
    Builder.checkRate(fault, probability);
    Map<Fault, Double> next = new EnumMap<>(rates);
    next.put(fault, probability);
    Builder.checkWriteRatesSum(next);
    rates.put(fault, probability);
  }

  /** How many faults of this kind were injected so far. */
  public long injected(Fault fault) {
    return injected.get(fault).get();
  }

  /** How many faults of every kind were injected so far. */
  public long injectedTotal() {
    long n = 0;
    for (AtomicLong c : injected.values()) {
      n += c.get();
    }
    return n;
  }

  /** How many calls of this operation the store has seen, faulty or not. */
  public long calls(Op op) {
    return calls.get(op).get();
  }

  /** Every fault injected so far, in the order they happened. */
  public List<Injection> injections() {
    synchronized (log) {
      return List.copyOf(log);
    }
  }

  @Override
  public CarIndex write(List<Cid> roots, Iterable<Block> blocks) {
    long nth = calls.get(Op.WRITE).incrementAndGet();
    SplittableRandom random = draw(Op.WRITE, nth);
    maybeSlow(Op.WRITE, nth, random);
    Fault fault = choose(Op.WRITE, nth, random);
    if (fault == null) {
      return inner.write(roots, blocks);
    }
    String name = "write #" + nth;
    switch (fault) {
      case WRITE_FAILURE:
        throw injected(fault, nth, name, "write failed", new IOException("injected write failure"));
      case DISK_FULL:
        throw injected(fault, nth, name, "disk full", new IOException("No space left on device"));
      case PARTIAL_WRITE:
        return partialWrite(roots, blocks, nth, random);
      case FSYNC_FAILURE:
        return fsyncFailure(roots, blocks, nth);
      default:
        throw new IllegalStateException("not a write fault: " + fault);
    }
  }

  /** Hands the wrapped store a block stream that breaks after a seeded number of blocks. */
  private CarIndex partialWrite(List<Cid> roots, Iterable<Block> blocks, long nth, SplittableRandom random) {
    List<Block> all = new ArrayList<>();
    blocks.forEach(all::add);
    int keep = all.isEmpty() ? 0 : random.nextInt(all.size());
    InjectedFaultException broken = injected(Fault.PARTIAL_WRITE, nth, "write #" + nth,
        "write stopped after " + keep + " of " + all.size() + " blocks", new IOException("injected partial write"));
    Iterable<Block> truncated = () -> new Iterator<>() {
      int i;

      @Override
      public boolean hasNext() {
        if (i >= keep) {
          throw broken;
        }
        return true;
      }

      @Override
      public Block next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return all.get(i++);
      }
    };
    try {
      inner.write(roots, truncated);
    } catch (InjectedFaultException e) {
      throw e;
    } catch (RuntimeException e) {
      // The wrapped store may wrap the stream's failure in its own; the caller sees the injected one.
      broken.addSuppressed(e);
      throw broken;
    }
    throw new IllegalStateException("the wrapped store finished a write whose blocks stopped after " + keep);
  }

  /** Writes everything, then fails as a failed fsync would; a CAR that was not there before is removed again. */
  private CarIndex fsyncFailure(List<Cid> roots, Iterable<Block> blocks, long nth) {
    List<Block> all = new ArrayList<>();
    blocks.forEach(all::add);
    Cid car = CarWriter.encode(roots, all).index().car();
    boolean existed = inner.exists(car);
    inner.write(roots, all);
    if (!existed) {
      inner.delete(car);
    }
    throw injected(Fault.FSYNC_FAILURE, nth, "write #" + nth + " (" + car + ")", "fsync failed after the bytes were written",
        new IOException("injected fsync failure"));
  }

  @Override
  public Block read(Cid car, Cid block, BlockLocation at) {
    long nth = calls.get(Op.READ).incrementAndGet();
    SplittableRandom random = draw(Op.READ, nth);
    maybeSlow(Op.READ, nth, random);
    if (choose(Op.READ, nth, random) == Fault.READ_FAILURE) {
      throw injected(Fault.READ_FAILURE, nth, "read #" + nth + " of " + block + " in " + car, "read failed",
          new IOException("injected read failure"));
    }
    return inner.read(car, block, at);
  }

  /**
   * The random numbers for one call, derived from the seed, the operation and the call's number
   * alone, so the schedule does not depend on which thread got which number first.
   */
  private SplittableRandom draw(Op op, long nth) {
    return new SplittableRandom(mix(seed ^ mix(op.ordinal() * 0x9E3779B97F4A7C15L + nth)));
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private void maybeSlow(Op op, long nth, SplittableRandom random) {
    double r = random.nextDouble(); // drawn always, so the other draws do not shift with this rate
    double p;
    synchronized (this) {
      p = rates.getOrDefault(Fault.SLOW, 0.0);
    }
    if (r < p && !delay.isZero()) {
      record(Fault.SLOW, op, nth);
      try {
        Thread.sleep(delay.toMillis(), delay.toNanosPart() % 1_000_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The failure for this call, if any: a scripted one first, else one by probability. */
  private Fault choose(Op op, long nth, SplittableRandom random) {
    double r = random.nextDouble();
    Instant now = clock.instant();
    for (Rule rule : rules) {
      if (rule.matches(op, nth, now)) {
        return rule.fault();
      }
    }
    List<Fault> kinds = op == Op.WRITE ? WRITE_FAULTS : List.of(Fault.READ_FAILURE);
    synchronized (this) {
      double edge = 0;
      for (Fault f : kinds) {
        edge += rates.getOrDefault(f, 0.0);
        if (r < edge) {
          return f;
        }
      }
    }
    return null;
  }

  private InjectedFaultException injected(Fault fault, long nth, String what, String problem, Throwable cause) {
    record(fault, fault.op(), nth);
    return new InjectedFaultException(fault, "faulty:" + what, "injected " + fault + ": " + problem, cause);
  }

  private void record(Fault fault, Op op, long nth) {
    injected.get(fault).incrementAndGet();
    log.add(new Injection(op, nth, fault));
  }

  /** Configures a {@link FaultyCarStore}; with nothing set it injects no faults. */
  public static final class Builder {
    private final CarStore inner;
    private long seed;
    private Clock clock = Clock.systemUTC();
    private Duration delay = Duration.ofMillis(5);
    private final Map<Fault, Double> rates = new EnumMap<>(Fault.class);
    private final List<Rule> rules = new ArrayList<>();

    private Builder(CarStore inner) {
      this.inner = Objects.requireNonNull(inner, "inner");
    }

    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** The clock the time windows of the script are read from. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Each call of the fault's operation gets it with this probability. The write kinds share one
     * draw per write, so their probabilities must add up to at most 1.
     */
    public Builder rate(Fault fault, double probability) {
      checkRate(fault, probability);
      rates.put(fault, probability);
      checkWriteRatesSum(rates);
      return this;
    }

    /** Each write and read waits {@code delay} first with this probability. */
    public Builder slowness(double probability, Duration delay) {
      this.delay = Objects.requireNonNull(delay, "delay");
      return rate(Fault.SLOW, probability);
    }

    /** The {@code nth} write (counting from 1) fails with this write fault. */
    public Builder failWrite(long nth, Fault fault) {
      return failWrites(nth, nth, fault);
    }

    /** Writes number {@code from} to {@code to} (inclusive, from 1) fail with this write fault. */
    public Builder failWrites(long from, long to, Fault fault) {
      checkOp(fault, Op.WRITE);
      rules.add(new Rule(Op.WRITE, from, to, null, null, fault));
      return this;
    }

    /** The {@code nth} block read (counting from 1) fails. */
    public Builder failRead(long nth) {
      rules.add(new Rule(Op.READ, nth, nth, null, null, Fault.READ_FAILURE));
      return this;
    }

    /** Block reads at or after {@code from} and before {@code until} (by the clock) fail. */
    public Builder failReadsBetween(Instant from, Instant until) {
      rules.add(new Rule(Op.READ, 1, Long.MAX_VALUE, from, until, Fault.READ_FAILURE));
      return this;
    }

    /** Writes at or after {@code from} and before {@code until} (by the clock) fail with this write fault. */
    public Builder failWritesBetween(Instant from, Instant until, Fault fault) {
      checkOp(fault, Op.WRITE);
      rules.add(new Rule(Op.WRITE, 1, Long.MAX_VALUE, from, until, fault));
      return this;
    }

    public FaultyCarStore build() {
      return new FaultyCarStore(this);
    }

    private static void checkOp(Fault fault, Op op) {
      if (fault.op() != op) {
        throw new IllegalArgumentException(fault + " is not a fault of " + op);
      }
    }

    static void checkRate(Fault fault, double probability) {
      if (!(probability >= 0 && probability <= 1)) {
        throw new IllegalArgumentException("probability of " + fault + " must be in [0, 1]: " + probability);
      }
    }

    static void checkWriteRatesSum(Map<Fault, Double> rates) {
      double sum = 0;
      for (Fault f : WRITE_FAULTS) {
        sum += rates.getOrDefault(f, 0.0);
      }
      if (sum > 1 + 1e-9) {
        throw new IllegalArgumentException("the write faults' probabilities add up to more than 1: " + sum);
      }
    }
  }

  /** Each block read can fail on its own, as on a disk: one faultable {@link #read} per block. */
  @Override
  public List<Block> readMany(Cid car, List<Cid> blocks, List<BlockLocation> at) {
    return CarStore.readOneByOne(this, car, blocks, at);
  }
}
