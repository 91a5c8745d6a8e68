package dev.kiln.testkit.fault;

import dev.kiln.engine.car.CarStoreException;

/**
 * A failure a {@link FaultyCarStore} made up. It is a {@link CarStoreException}, so the engine sees
 * it exactly as it would a real IO failure; {@link #fault()} says which kind it imitates.
 */
public final class InjectedFaultException extends CarStoreException {
  private static final long serialVersionUID = 1L;
  private final FaultyCarStore.Fault fault;

  InjectedFaultException(FaultyCarStore.Fault fault, String file, String problem, Throwable cause) {
    super(file, problem, cause);
    this.fault = fault;
  }

  public FaultyCarStore.Fault fault() {
    return fault;
  }
}
