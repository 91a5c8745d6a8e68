package dev.kiln.bench;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarWriter;
import dev.kiln.engine.car.EncodedCar;
import dev.kiln.protocol.Cid;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The CPU side of writing a CAR, no disk: where {@link CarWriteBenchmark#carStoreWrite} spends
 * the time {@link CarWriteBenchmark#rawWrite} does not.
 *
 * <ul>
 *   <li>{@link #encodeInMemory}: {@link CarWriter#encode}, framing, hashing and indexing the same
 *       blocks into a byte array.
 *   <li>{@link #sha256Only}: one SHA-256 over the encoded bytes, the part of the work no CAR
 *       store can skip (the file's name is its hash).
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CarEncodeBenchmark {
  @Param("10000")
  public int blocks;

  @Param("400")
  public int blockBytes;

  private List<Cid> roots;
  private List<Block> carBlocks;
  private byte[] carBytes;

  @Setup(Level.Trial)
  public void setUp() {
    carBlocks = CarBlocks.generate(blocks, blockBytes);
    roots = List.of(carBlocks.get(carBlocks.size() - 1).cid());
    carBytes = CarWriter.encode(roots, carBlocks).bytes();
  }

  @Benchmark
  public EncodedCar encodeInMemory() {
    return CarWriter.encode(roots, carBlocks);
  }

  @Benchmark
  public byte[] sha256Only() throws NoSuchAlgorithmException {
    return MessageDigest.getInstance("SHA-256").digest(carBytes);
  }
}
