package dev.webroot.mkroot;

import dev.webroot.format.WebrootWriter.Representation;
import java.util.List;

/** A source file made ready for the writer: its headers' facts and its representations (identity first). */
record PackedFile(SourceFile source, String contentType, long lastModified, String cacheControl,
                  List<Representation> representations) {}
