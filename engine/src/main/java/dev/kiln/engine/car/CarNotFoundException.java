package dev.kiln.engine.car;

import dev.kiln.protocol.Cid;

/** The store holds no CAR with this CID. */
public final class CarNotFoundException extends CarStoreException {
  private static final long serialVersionUID = 1L;

  public CarNotFoundException(Cid car, String file) {
    super(car, file, "CAR " + car + " not found: the store has no " + file);
  }
}
