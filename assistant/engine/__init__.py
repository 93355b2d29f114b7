"""What the model sees and says: BLIP-2 behind one small interface. No Qt here."""
