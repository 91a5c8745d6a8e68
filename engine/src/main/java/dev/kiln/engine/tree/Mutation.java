package dev.kiln.engine.tree;

/** One change to one key in a batch given to {@link ProllyTree#apply}. */
public sealed interface Mutation permits Mutation.Put, Mutation.Delete {

  /** The only {@link Delete} anyone needs. */
  Delete DELETE = new Delete();

  static Put put(Object value) {
    return new Put(value);
  }

  static Delete delete() {
    return DELETE;
  }

  /** Sets the key to an IPLD data model value (as {@link dev.kiln.engine.block.DagCbor} accepts). */
  record Put(Object value) implements Mutation {
    public Put {
      if (value == null) {
        throw new IllegalArgumentException("Put needs a value: the tree holds no nulls, use Mutation.Delete to remove a key");
      }
    }
  }

  /** Removes the key; deleting a key that is absent changes nothing. */
  record Delete() implements Mutation {}
}
