package dev.kiln.engine.actor;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.kiln.engine.actor.Events.Answered;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The answers of the newest requests with an id that commits answered, part of the journal's
 * state (so of every snapshot), for answering a request sent again without committing it twice.
 * Bounded by a weight: a request counts the documents it wrote (at least 1); the oldest answers go
 * first, but the newest request is always kept. Immutable: {@link #with} makes a new window (it
 * copies the window, which is why it is bounded to a few thousand).
 */
public final class RequestWindow {
  /** The default of {@code kiln.commit.request-window}. */
  public static final int DEFAULT_LIMIT = 2000;
  public static final RequestWindow EMPTY = new RequestWindow(List.of());

  /** The requests one commit answered: their answers' clock is the commit's CID. */
  public record Chunk(Cid commit, List<Answered> answered) {
    public Chunk {
      answered = List.copyOf(answered);
    }
  }

  /** A remembered answer: what the request applied, in the commit {@code commit}. */
  public record Remembered(Answered answered, Cid commit) {}

  /** Oldest first. */
  private final List<Chunk> chunks;
  private final Map<String, Remembered> byRequest;
  private final int weight;

  @JsonCreator
  public RequestWindow(@JsonProperty("chunks") List<Chunk> chunks) {
    this.chunks = chunks == null ? List.of() : List.copyOf(chunks);
    Map<String, Remembered> index = new HashMap<>();
    int w = 0;
    for (Chunk c : this.chunks) {
      for (Answered a : c.answered()) {
        index.put(a.request(), new Remembered(a, c.commit()));
        w += weight(a);
      }
    }
    this.byRequest = index;
    this.weight = w;
  }

  @JsonProperty("chunks")
  public List<Chunk> chunks() {
    return chunks;
  }

  /** The answer remembered for {@code request}, or null. */
  public Remembered find(String request) {
    return byRequest.get(request);
  }

  public int size() {
    return byRequest.size();
  }

  private static int weight(Answered a) {
    return Math.max(1, a.applied().size());
  }

  /** This window plus the answers of one commit, the oldest dropped until it weighs at most {@code limit}. */
  public RequestWindow with(Cid commit, List<Answered> answered, int limit) {
    if (answered.isEmpty()) {
      return this;
    }
    List<Chunk> all = new ArrayList<>(chunks.size() + 1);
    all.addAll(chunks);
    all.add(new Chunk(commit, answered));
    int total = weight;
    int count = 0;
    for (Chunk c : all) {
      count += c.answered().size();
    }
    for (Answered a : answered) {
      total += weight(a);
    }
    int drop = 0; // the oldest answers that go; never the newest one
    outer:
    for (Chunk c : all) {
      for (Answered a : c.answered()) {
        if (total <= limit || count - drop <= 1) {
          break outer;
        }
        total -= weight(a);
        drop++;
      }
    }
    List<Chunk> kept = new ArrayList<>(all.size());
    for (Chunk c : all) {
      int n = c.answered().size();
      if (drop >= n) {
        drop -= n;
        continue;
      }
      kept.add(drop == 0 ? c : new Chunk(c.commit(), c.answered().subList(drop, n)));
      drop = 0;
    }
    return new RequestWindow(kept);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RequestWindow w && w.chunks.equals(chunks);
  }

  @Override
  public int hashCode() {
    return chunks.hashCode();
  }

  @Override
  public String toString() {
    return "RequestWindow" + chunks;
  }
}
