package rows

import (
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// zstdCodec is arrow-go's zstd codec with encoders that outlive garbage
// collections. arrow-go keeps its encoders in a sync.Pool, which every
// collection empties; a new encoder then allocates and clears about 1.3 MiB
// of history and match tables before compressing a page of a few KiB. A load
// collects every few files, so most files paid for new encoders (2 % of an
// EVTX load's CPU, and as much again in garbage). The encoders are made with
// arrow-go's options but one: zstd decides itself whether a block's literals
// are worth entropy coding (arrow-go forces it), which on the archive's many
// small pages spends Huffman tables on a few bytes each. Without it, writing
// an EVTX log's rows takes 30 % less time for files 1 % larger.
type zstdCodec struct {
	compress.Codec // arrow-go's: decoding, streams, bounds

	mu   sync.Mutex
	idle map[zstd.EncoderLevel][]*zstd.Encoder
}

// maxIdleEncoders bounds the encoders kept per level: one per Parquet writer
// at work, with room to spare.
const maxIdleEncoders = 16

// zstdShared is the codec registered with arrow-go, whose encoders the
// archive writer (WriteArchiveFile) uses too.
var zstdShared = &zstdCodec{idle: map[zstd.EncoderLevel][]*zstd.Encoder{}}

func init() {
	orig, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		panic(err)
	}
	zstdShared.Codec = orig
	compress.RegisterCodec(compress.Codecs.Zstd, zstdShared)
}

func (z *zstdCodec) EncodeLevel(dst, src []byte, level int) []byte {
	l := zstd.SpeedDefault
	if level != compress.DefaultCompressionLevel {
		l = zstd.EncoderLevelFromZstd(level)
	}
	enc := z.get(l)
	out := enc.EncodeAll(src, dst[:0])
	z.put(l, enc)
	return out
}

func (z *zstdCodec) get(l zstd.EncoderLevel) *zstd.Encoder {
	z.mu.Lock()
	if s := z.idle[l]; len(s) > 0 {
		enc := s[len(s)-1]
		z.idle[l] = s[:len(s)-1]
		z.mu.Unlock()
		return enc
	}
	z.mu.Unlock()
	enc, err := zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithEncoderLevel(l), zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(err) // only for invalid options
	}
	return enc
}

func (z *zstdCodec) put(l zstd.EncoderLevel, enc *zstd.Encoder) {
	z.mu.Lock()
	if len(z.idle[l]) < maxIdleEncoders {
		z.idle[l] = append(z.idle[l], enc)
	}
	z.mu.Unlock()
}

// The rest is arrow-go's codec as it is (the embedded interface hides its
// other methods).

func (z *zstdCodec) DecodeWithError(dst, src []byte) ([]byte, error) {
	return compress.Decode(z.Codec, dst, src)
}

func (z *zstdCodec) NewReader(r io.Reader) io.ReadCloser {
	return z.Codec.(compress.StreamingCodec).NewReader(r)
}

func (z *zstdCodec) NewWriter(w io.Writer) io.WriteCloser {
	return z.Codec.(compress.StreamingCodec).NewWriter(w)
}

func (z *zstdCodec) NewWriterLevel(w io.Writer, level int) (io.WriteCloser, error) {
	return z.Codec.(compress.StreamingCodec).NewWriterLevel(w, level)
}
