package dev.kiln.testkit.torture;

import dev.kiln.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/** Records operations as they are invoked and complete; thread-safe. */
public final class History {
  private final AtomicLong next = new AtomicLong();
  private final ConcurrentHashMap<Long, Op> inFlight = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Op> completed = new ConcurrentLinkedQueue<>();
  private final AtomicLong size = new AtomicLong();

  /** An invoked operation waiting for its outcome. */
  public final class Pending {
    private final Op invoked;

    private Pending(Op invoked) {
      this.invoked = invoked;
    }

    public Op ok(Reply reply) {
      return complete(new Outcome.Ok(reply));
    }

    public Op failed(ErrorCode code, String message) {
      return complete(new Outcome.Failed(code, message));
    }

    public Op unknown(String why) {
      return complete(new Outcome.Unknown(why));
    }

    private Op complete(Outcome outcome) {
      long now = System.nanoTime();
      Op o = invoked;
      Op done = new Op(o.index(), o.process(), o.kind(), o.doc(), o.value(), o.since(), o.invoke(), now, outcome);
      completed.add(done);
      inFlight.remove(o.index());
      return done;
    }
  }

  public Pending invoke(String process, OpKind kind, String doc, long value, long since) {
    long index = next.incrementAndGet();
    Op op = new Op(index, process, kind, doc, value, since, System.nanoTime(), Long.MAX_VALUE,
        new Outcome.Unknown("still in flight"));
    inFlight.put(index, op);
    size.incrementAndGet();
    return new Pending(op);
  }

  public long size() {
    return size.get();
  }

  /** Every operation so far in invocation order; those still in flight have an unknown outcome. */
  public List<Op> ops() {
    List<Op> pending = new ArrayList<>(inFlight.values()); // first: one completing meanwhile is then in both
    List<Op> all = new ArrayList<>(completed);
    all.addAll(pending);
    all.sort((a, b) -> a.index() != b.index() ? Long.compare(a.index(), b.index()) : Long.compare(a.complete(), b.complete()));
    List<Op> out = new ArrayList<>(all.size());
    for (Op o : all) {
      if (out.isEmpty() || out.get(out.size() - 1).index() != o.index()) {
        out.add(o);
      }
    }
    return out;
  }

}
