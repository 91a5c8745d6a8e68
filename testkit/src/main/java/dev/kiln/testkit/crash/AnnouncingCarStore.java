package dev.kiln.testkit.crash;

import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.car.ForwardingCarStore;
import dev.kiln.protocol.Cid;
import java.io.PrintStream;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The crash child's CAR store: the real one, except that once {@link #arm() armed} every delete
 * prints {@code DELETING <cid>}, waits for the parent's go-ahead (a {@code GO} line on stdin) and a
 * moment more, and only then deletes (printing {@code DELETED <cid>}). A parent that means to kill
 * inside this deletion sends no go-ahead, so its SIGKILL surely lands while the file is still there,
 * however slow the machine.
 */
final class AnnouncingCarStore extends ForwardingCarStore {
  private final PrintStream out;
  private final long pauseNanos;
  private final Semaphore go;
  private volatile boolean armed;

  AnnouncingCarStore(CarStore store, PrintStream out, long pauseMillis, Semaphore go) {
    super(store);
    this.out = out;
    this.go = go;
    this.pauseNanos = TimeUnit.MILLISECONDS.toNanos(pauseMillis);
  }

  /** From now on deletes announce themselves (start-up's orphan removal happens before, unannounced). */
  void arm() {
    armed = true;
  }

  @Override
  public void delete(Cid car) {
    if (!armed) {
      inner.delete(car);
      return;
    }
    out.println(new CrashLine.Deleting(car.toString()).format());
    go.acquireUninterruptibly();
    // Room for a kill planned some acks later to land while the file is still there; a test aid, not a timing check.
    long until = System.nanoTime() + pauseNanos;
    for (long left = pauseNanos; left > 0; left = until - System.nanoTime()) {
      LockSupport.parkNanos(left);
    }
    inner.delete(car);
    out.println(new CrashLine.Deleted(car.toString()).format());
  }
}
