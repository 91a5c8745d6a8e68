package dev.kiln.engine.index;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * The index definitions a process registers for a database, by name. Field indexes defined at run
 * time are stored in the database instead and need no registration.
 */
public final class IndexRegistry {
  private static final IndexRegistry NONE = new IndexRegistry(Map.of());

  private final Map<String, IndexDefinition> byName;

  private IndexRegistry(Map<String, IndexDefinition> byName) {
    this.byName = byName;
  }

  public static IndexRegistry none() {
    return NONE;
  }

  /** This registry plus {@code def}; a second definition with the same name replaces the first. */
  public IndexRegistry with(IndexDefinition def) {
    Map<String, IndexDefinition> m = new TreeMap<>(byName);
    m.put(def.name(), def);
    return new IndexRegistry(Map.copyOf(m));
  }

  public IndexDefinition get(String name) {
    return byName.get(name);
  }

  public Collection<IndexDefinition> all() {
    return byName.values();
  }

  public boolean isEmpty() {
    return byName.isEmpty();
  }

  @Override
  public String toString() {
    return "IndexRegistry" + byName.keySet();
  }
}
