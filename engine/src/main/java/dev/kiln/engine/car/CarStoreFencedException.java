package dev.kiln.engine.car;

import dev.kiln.protocol.Cid;

/**
 * A store whose owner's epoch has been superseded refused a write or a delete: another node (or another
 * open of the same database) has claimed the database since, and nothing was changed. Callers see it as
 * {@code FENCED} (not STORAGE: the store works, it is just no longer this node's); the store stays fenced
 * for good.
 */
public final class CarStoreFencedException extends CarStoreException {
  private static final long serialVersionUID = 1L;
  private final String db;
  private final long epoch;
  private final long current;

  public CarStoreFencedException(String file, Cid car, String db, long epoch, long current) {
    super(car, file, "CAR store fenced: database " + db + " was claimed again (epoch " + current
        + ", this store's is " + epoch + "), so " + file + " was not changed");
    this.db = db;
    this.epoch = epoch;
    this.current = current;
  }

  /** The database whose store was refused. */
  public String db() {
    return db;
  }

  /** The epoch the refused store was made with. */
  public long epoch() {
    return epoch;
  }

  /** The database's epoch when the store was refused (0: no owner row). */
  public long current() {
    return current;
  }
}
