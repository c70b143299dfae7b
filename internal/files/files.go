// Package files is the HTTP side of uploaded files (issue 17): POST /upload streams a file to
// a temporary file under a size limit and the uploader's quota, finds its type from its content
// (never the client's claim), strips the metadata of images and makes their thumbnails, and
// stores the bytes in a hubbub.Blobs and the metadata in the Store's hubbub.FileStore;
// GET /files/{id}/{name} and /files/{id}/thumb serve them to whoever may read the room of the
// message that carries them; the collector deletes the bytes of files that no message carries
// any more. LocalBlobs is the default Blobs, a folder beside the data.
//
// Files by job: upload.go (POST /upload), images.go (type sniffing, decoding under a pixel
// limit, thumbnails), strip.go (lossless metadata stripping of JPEG, PNG, WebP), download.go
// (GET /files/…), auth.go (who a request acts for; POST /files/session), collector.go,
// localblobs.go.
package files

// thumbSuffix follows a file's id in the key of its thumbnail's blob.
const thumbSuffix = ".thumb"

// ThumbKey is the Blobs key of file id's thumbnail.
func ThumbKey(id string) string { return id + thumbSuffix }
