package store

// SlotCount is the number of Redis Cluster hash slots.
const SlotCount = 16384

// crc16Table is the CRC16/XMODEM table (polynomial 0x1021, initial value 0),
// the checksum Redis Cluster uses for key slots.
var crc16Table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

func crc16(b []byte) uint16 {
	var c uint16
	for _, x := range b {
		c = c<<8 ^ crc16Table[byte(c>>8)^x]
	}
	return c
}

// Slot returns the Redis Cluster slot of key: CRC16 of the key, or of its
// hash tag, modulo 16384. The hash tag is the part between the first '{' and
// the first '}' after it, when that part is not empty; this is how keys such
// as {user1000}.following and {user1000}.followers land in one slot.
func Slot(key []byte) uint16 {
	for i, c := range key {
		if c != '{' {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j > i+1 {
					key = key[i+1 : j]
				}
				return crc16(key) & (SlotCount - 1)
			}
		}
		break
	}
	return crc16(key) & (SlotCount - 1)
}
