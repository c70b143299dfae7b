package files

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Metadata stripping: a photo carries where and when it was taken, on what, by whom (EXIF,
// XMP, text chunks), which its uploader rarely means to share with a room. The stored bytes
// keep the image exactly — segments and chunks are dropped, the compressed pixels are copied
// as they are — so stripping costs no quality and no decode.
//
// Kept: what a viewer needs to show the image as its author saw it — JPEG's JFIF (APP0,
// without its thumbnail), EXIF's Orientation alone (in an APP1 of its own),
// ICC profile (APP2 "ICC_PROFILE") and Adobe (APP14, which says how the colours are coded);
// PNG's and WebP's other chunks. Dropped: JPEG APP1 (EXIF, XMP) and the other APPn, comments;
// PNG eXIf, tEXt, iTXt, zTXt, tIME; WebP EXIF and XMP (and the VP8X flags that announce them);
// GIF comments and application extensions other than the animation loop (NETSCAPE2.0,
// ANIMEXTS1.0), XMP among them;
// anything after the image's end.

// errNotImage is wrapped by a strip that finds the bytes are not the format they claimed.
var errNotImage = errors.New("not a well-formed image")

// strip copies the image in src (of the given format: "jpeg", "png", "webp"; others are
// copied as they are) to dst without its metadata. A JPEG's EXIF orientation (how a phone held
// sideways says to turn the picture) is the one thing kept — in an EXIF segment of its own,
// with nothing else — so that browsers show the photo upright; strip returns it (1, upright,
// when there is none).
func strip(dst io.Writer, src io.ReadSeeker, format string) (orientation int, err error) {
	switch format {
	case "jpeg":
		return stripJPEG(dst, bufio.NewReaderSize(src, 64<<10))
	case "png":
		return 1, stripPNG(dst, bufio.NewReaderSize(src, 64<<10))
	case "webp":
		return 1, stripWebP(dst, src)
	case "gif":
		return 1, stripGIF(dst, bufio.NewReaderSize(src, 64<<10))
	}
	_, err = io.Copy(dst, src)
	return 1, err
}

// JPEG markers (ITU T.81, B.1.1.3).
const (
	jpegSOI   = 0xD8
	jpegEOI   = 0xD9
	jpegSOS   = 0xDA
	jpegAPP0  = 0xE0
	jpegAPP1  = 0xE1
	jpegAPP2  = 0xE2
	jpegAPP14 = 0xEE
	jpegAPP15 = 0xEF
	jpegCOM   = 0xFE
	jpegTEM   = 0x01
	jpegRST0  = 0xD0
	jpegRST7  = 0xD7
)

// iccTag starts an APP2 segment that holds an ICC profile.
var iccTag = []byte("ICC_PROFILE\x00")

// stripJPEG copies a JPEG, segment by segment, leaving out the metadata segments and what
// follows EOI. After a start of scan it copies the entropy-coded data up to the next marker
// (a progressive JPEG has many scans, with tables between them).
func stripJPEG(w io.Writer, r *bufio.Reader) (orientation int, err error) {
	orientation = 1
	var soi [2]byte
	if _, err := io.ReadFull(r, soi[:]); err != nil || soi[0] != 0xFF || soi[1] != jpegSOI {
		return 0, fmt.Errorf("jpeg: %w: no start of image", errNotImage)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(soi[:])
	afterScan := false
	for {
		marker, err := nextMarker(r, afterScan)
		afterScan = false
		if err != nil {
			return 0, err
		}
		switch {
		case marker == jpegEOI:
			bw.Write([]byte{0xFF, jpegEOI})
			return orientation, bw.Flush()
		case marker == jpegTEM || marker >= jpegRST0 && marker <= jpegRST7:
			bw.Write([]byte{0xFF, marker}) // no length
			continue
		}
		var lb [2]byte
		if _, err := io.ReadFull(r, lb[:]); err != nil {
			return 0, fmt.Errorf("jpeg: %w: a segment ends early", errNotImage)
		}
		n := int(binary.BigEndian.Uint16(lb[:]))
		if n < 2 {
			return 0, fmt.Errorf("jpeg: %w: a segment of length %d", errNotImage, n)
		}
		keep := true
		switch {
		case marker == jpegAPP1 && orientation == 1:
			seg := make([]byte, n-2)
			if _, err := io.ReadFull(r, seg); err != nil {
				return 0, fmt.Errorf("jpeg: %w: a segment ends early", errNotImage)
			}
			if o := exifOrientation(seg); o > 1 {
				orientation = o
				bw.Write(orientationSegment(o))
			}
			continue
		case marker == jpegCOM, marker > jpegAPP0 && marker <= jpegAPP15 && marker != jpegAPP2 && marker != jpegAPP14:
			keep = false
		case marker == jpegAPP2:
			head, _ := r.Peek(min(n-2, len(iccTag)))
			keep = bytes.Equal(head, iccTag)
		case marker == jpegAPP0:
			if err := copyJFIF(bw, r, n-2); err != nil {
				return 0, err
			}
			continue
		}
		if !keep {
			if _, err := r.Discard(n - 2); err != nil {
				return 0, fmt.Errorf("jpeg: %w: a segment ends early", errNotImage)
			}
			continue
		}
		bw.Write([]byte{0xFF, marker})
		bw.Write(lb[:])
		if _, err := io.CopyN(bw, r, int64(n-2)); err != nil {
			return 0, fmt.Errorf("jpeg: %w: a segment ends early", errNotImage)
		}
		if marker == jpegSOS {
			if err := copyScan(bw, r); err != nil {
				return 0, err
			}
			afterScan = true
		}
	}
}

// exifTag starts an APP1 segment that holds EXIF.
var exifTag = []byte("Exif\x00\x00")

// exifOrientation reads the Orientation tag (0x0112) of IFD0 in an APP1 payload: 1 to 8, or 0
// when the payload is not EXIF or has none.
func exifOrientation(seg []byte) int {
	if !bytes.HasPrefix(seg, exifTag) {
		return 0
	}
	t := seg[len(exifTag):]
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	ifd := int64(bo.Uint32(t[4:8]))
	if ifd+2 > int64(len(t)) {
		return 0
	}
	count := int64(bo.Uint16(t[ifd:]))
	for i := range count {
		e := ifd + 2 + 12*i
		if e+12 > int64(len(t)) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 { // Orientation, SHORT
			if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 0
		}
	}
	return 0
}

// orientationSegment is an APP1 EXIF segment holding only Orientation o: a big-endian TIFF
// header and an IFD0 of one entry.
func orientationSegment(o int) []byte {
	b := []byte{0xFF, jpegAPP1, 0, 2 + 6 + 8 + 2 + 12 + 4}
	b = append(b, exifTag...)
	b = append(b, 'M', 'M', 0, 42, 0, 0, 0, 8) // byte order, magic, IFD0 at 8
	b = append(b, 0, 1)                        // one entry
	b = append(b, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0)
	return append(b, 0, 0, 0, 0) // no next IFD
}

// jfifLen is the length of a JFIF APP0 payload without a thumbnail.
const jfifLen = 14

// copyJFIF copies an APP0 segment of n bytes if it is JFIF's, without the thumbnail it may
// carry (a picture of the photo before it was cropped or edited); JFXX and other APP0
// segments, which hold thumbnails only, go.
func copyJFIF(w *bufio.Writer, r *bufio.Reader, n int) error {
	head, _ := r.Peek(min(n, jfifLen))
	if n >= jfifLen && bytes.HasPrefix(head, []byte("JFIF\x00")) {
		seg := make([]byte, 4+jfifLen)
		seg[0], seg[1] = 0xFF, jpegAPP0
		binary.BigEndian.PutUint16(seg[2:], 2+jfifLen)
		copy(seg[4:], head)
		seg[4+12], seg[4+13] = 0, 0 // no thumbnail
		w.Write(seg)
	}
	if _, err := r.Discard(n); err != nil {
		return fmt.Errorf("jpeg: %w: a segment ends early", errNotImage)
	}
	return nil
}

// nextMarker reads the next marker's code, skipping the fill bytes (0xFF) before it; ffRead
// says its first 0xFF was read already (by copyScan).
func nextMarker(r *bufio.Reader, ffRead bool) (byte, error) {
	if !ffRead {
		b, err := r.ReadByte()
		if err != nil || b != 0xFF {
			return 0, fmt.Errorf("jpeg: %w: a marker was expected", errNotImage)
		}
	}
	for {
		b, err := r.ReadByte()
		if err != nil {
			return 0, fmt.Errorf("jpeg: %w: it ends without an end of image", errNotImage)
		}
		if b != 0xFF {
			return b, nil
		}
	}
}

// copyScan copies entropy-coded data up to the next marker, whose 0xFF it reads: in the data
// a 0xFF is followed by 0x00 (a stuffed byte) or a restart marker, both part of the scan.
func copyScan(w *bufio.Writer, r *bufio.Reader) error {
	for {
		part, err := r.ReadSlice(0xFF)
		if errors.Is(err, bufio.ErrBufferFull) {
			w.Write(part)
			continue
		}
		if err != nil {
			return fmt.Errorf("jpeg: %w: a scan ends without an end of image", errNotImage)
		}
		next, err := r.Peek(1)
		if err != nil {
			return fmt.Errorf("jpeg: %w: a scan ends without an end of image", errNotImage)
		}
		if c := next[0]; c == 0x00 || c >= jpegRST0 && c <= jpegRST7 {
			w.Write(part)
			w.WriteByte(c)
			r.ReadByte()
			continue
		}
		w.Write(part[:len(part)-1]) // the 0xFF starts the next marker
		return nil
	}
}

// pngSignature starts every PNG file.
var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// pngDropped are the chunks that carry metadata.
var pngDropped = map[string]bool{"eXIf": true, "tEXt": true, "iTXt": true, "zTXt": true, "tIME": true}

// stripPNG copies a PNG chunk by chunk (each with its CRC as it was), leaving out the metadata
// chunks and what follows IEND.
func stripPNG(w io.Writer, r *bufio.Reader) error {
	sig := make([]byte, len(pngSignature))
	if _, err := io.ReadFull(r, sig); err != nil || !bytes.Equal(sig, pngSignature) {
		return fmt.Errorf("png: %w: no signature", errNotImage)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(sig)
	var head [8]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return fmt.Errorf("png: %w: it ends without IEND", errNotImage)
		}
		n := int64(binary.BigEndian.Uint32(head[:4]))
		if n > 1<<31-1 {
			return fmt.Errorf("png: %w: a chunk of %d bytes", errNotImage, n)
		}
		typ := string(head[4:])
		if pngDropped[typ] {
			if _, err := r.Discard(int(n) + 4); err != nil {
				return fmt.Errorf("png: %w: a chunk ends early", errNotImage)
			}
			continue
		}
		bw.Write(head[:])
		if _, err := io.CopyN(bw, r, n+4); err != nil { // the data and the CRC
			return fmt.Errorf("png: %w: a chunk ends early", errNotImage)
		}
		if typ == "IEND" {
			return bw.Flush()
		}
	}
}

// WebP (RFC 9649): "RIFF", the size of what follows, "WEBP", then chunks: a FourCC, a
// little-endian size, the data and a pad byte when the size is odd.

// webpKept are the chunks an image is made of; EXIF, XMP and any unknown chunk go.
var webpKept = map[string]bool{"VP8 ": true, "VP8L": true, "VP8X": true, "ALPH": true, "ANIM": true, "ANMF": true, "ICCP": true}

// VP8X flags of the metadata chunks.
const (
	vp8xEXIF = 0x08
	vp8xXMP  = 0x04
)

// maxWebPChunks bounds the chunks a WebP file may have (an animation has a chunk a frame).
const maxWebPChunks = 1 << 20

// webpChunk is a chunk's place in the file.
type webpChunk struct {
	fourCC string
	off    int64 // of its header
	size   int64 // of its data, without the pad
}

// stripWebP rewrites a WebP without its metadata chunks: a first pass reads the chunk headers
// (seeking over the data) to learn the new RIFF size, a second copies the chunks it keeps,
// with the VP8X flags of the dropped chunks cleared.
func stripWebP(w io.Writer, src io.ReadSeeker) error {
	var head [12]byte
	if _, err := io.ReadFull(src, head[:]); err != nil || string(head[:4]) != "RIFF" || string(head[8:]) != "WEBP" {
		return fmt.Errorf("webp: %w: no RIFF WEBP header", errNotImage)
	}
	riffEnd := 8 + int64(binary.LittleEndian.Uint32(head[4:8]))
	var chunks []webpChunk
	var keptSize int64 = 4 // "WEBP"
	for off := int64(12); off+8 <= riffEnd; {
		if len(chunks) == maxWebPChunks {
			return fmt.Errorf("webp: %w: more than %d chunks", errNotImage, maxWebPChunks)
		}
		var ch [8]byte
		if _, err := src.Seek(off, io.SeekStart); err != nil {
			return err
		}
		if _, err := io.ReadFull(src, ch[:]); err != nil {
			return fmt.Errorf("webp: %w: a chunk ends early", errNotImage)
		}
		c := webpChunk{fourCC: string(ch[:4]), off: off, size: int64(binary.LittleEndian.Uint32(ch[4:]))}
		padded := c.size + c.size&1
		if off+8+padded > riffEnd {
			return fmt.Errorf("webp: %w: a chunk runs past the end", errNotImage)
		}
		if webpKept[c.fourCC] {
			chunks = append(chunks, c)
			keptSize += 8 + padded
		}
		off += 8 + padded
	}
	if keptSize > 1<<32-1 {
		return fmt.Errorf("webp: %w: too large", errNotImage)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	binary.LittleEndian.PutUint32(head[4:8], uint32(keptSize))
	bw.Write(head[:])
	for _, c := range chunks {
		if _, err := src.Seek(c.off, io.SeekStart); err != nil {
			return err
		}
		padded := c.size + c.size&1
		if c.fourCC == "VP8X" && c.size >= 1 {
			var hf [9]byte
			if _, err := io.ReadFull(src, hf[:]); err != nil {
				return fmt.Errorf("webp: %w: VP8X ends early", errNotImage)
			}
			hf[8] &^= vp8xEXIF | vp8xXMP
			bw.Write(hf[:])
			padded--
		} else {
			padded += 8
		}
		if _, err := io.CopyN(bw, src, padded); err != nil {
			return fmt.Errorf("webp: %w: a chunk ends early", errNotImage)
		}
	}
	return bw.Flush()
}

// GIF blocks (GIF89a, section 17 on).
const (
	gifExtension  = 0x21
	gifImage      = 0x2C
	gifTrailer    = 0x3B
	gifComment    = 0xFE
	gifAppExt     = 0xFF
	gifLocalTable = 0x80
)

// stripGIF copies a GIF block by block, leaving out comments and the application extensions
// that are not the animation loop, and what follows the trailer.
func stripGIF(w io.Writer, r *bufio.Reader) error {
	head := make([]byte, 13) // signature, version, logical screen descriptor
	if _, err := io.ReadFull(r, head); err != nil || (string(head[:6]) != "GIF87a" && string(head[:6]) != "GIF89a") {
		return fmt.Errorf("gif: %w: no header", errNotImage)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head)
	if head[10]&gifLocalTable != 0 { // the global colour table
		if _, err := io.CopyN(bw, r, 3<<(head[10]&7+1)); err != nil {
			return fmt.Errorf("gif: %w: the colour table ends early", errNotImage)
		}
	}
	for {
		b, err := r.ReadByte()
		if err != nil {
			return fmt.Errorf("gif: %w: it ends without a trailer", errNotImage)
		}
		switch b {
		case gifTrailer:
			bw.WriteByte(b)
			return bw.Flush()
		case gifImage:
			desc := make([]byte, 9)
			if _, err := io.ReadFull(r, desc); err != nil {
				return fmt.Errorf("gif: %w: an image descriptor ends early", errNotImage)
			}
			bw.WriteByte(b)
			bw.Write(desc)
			if desc[8]&gifLocalTable != 0 {
				if _, err := io.CopyN(bw, r, 3<<(desc[8]&7+1)); err != nil {
					return fmt.Errorf("gif: %w: a colour table ends early", errNotImage)
				}
			}
			lzw, err := r.ReadByte() // the LZW minimum code size
			if err != nil {
				return fmt.Errorf("gif: %w: an image ends early", errNotImage)
			}
			bw.WriteByte(lzw)
			if err := gifSubBlocks(bw, r); err != nil {
				return err
			}
		case gifExtension:
			label, err := r.ReadByte()
			if err != nil {
				return fmt.Errorf("gif: %w: an extension ends early", errNotImage)
			}
			keep := label != gifComment
			var first []byte
			if label == gifAppExt {
				// Its first sub-block names the application: only the loop count is kept.
				n, err := r.ReadByte()
				if err != nil {
					return fmt.Errorf("gif: %w: an extension ends early", errNotImage)
				}
				first = make([]byte, n)
				if _, err := io.ReadFull(r, first); err != nil {
					return fmt.Errorf("gif: %w: an extension ends early", errNotImage)
				}
				id := string(first[:min(len(first), 11)])
				keep = id == "NETSCAPE2.0" || id == "ANIMEXTS1.0"
				first = append([]byte{n}, first...)
			}
			out := io.Writer(bw)
			if !keep {
				out = io.Discard
			}
			out.Write([]byte{b, label})
			out.Write(first)
			if err := gifSubBlocks(out, r); err != nil {
				return err
			}
		default:
			return fmt.Errorf("gif: %w: an unknown block %#x", errNotImage, b)
		}
	}
}

// gifSubBlocks copies data sub-blocks (a length byte, then that many bytes) up to and with
// the terminating empty one.
func gifSubBlocks(w io.Writer, r *bufio.Reader) error {
	for {
		n, err := r.ReadByte()
		if err != nil {
			return fmt.Errorf("gif: %w: data ends early", errNotImage)
		}
		w.Write([]byte{n})
		if n == 0 {
			return nil
		}
		if _, err := io.CopyN(w, r, int64(n)); err != nil {
			return fmt.Errorf("gif: %w: data ends early", errNotImage)
		}
	}
}
