package dev.kiln.engine.car;

import dev.kiln.protocol.Cid;

class MemoryCarStoreTest extends CarStoreContract {
  @Override
  protected CarStore newStore() {
    return new MemoryCarStore();
  }

  @Override
  protected void corrupt(Cid car, long offset, int xor) {
    ((MemoryCarStore) store).corrupt(car, offset, xor);
  }

  @Override
  protected void truncate(Cid car, long length) {
    ((MemoryCarStore) store).truncate(car, length);
  }

  @Override
  protected String fileOf(Cid car) {
    return "memory:" + car + ".car";
  }
}
