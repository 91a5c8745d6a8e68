package dev.kiln.engine.car;

/**
 * A whole CAR file in memory and its index; {@code index().car()} is the raw-codec CID of
 * {@code bytes}. The array is not copied: callers must not change it.
 */
public record EncodedCar(byte[] bytes, CarIndex index) {}
