-- Reserved for issue 17 (0008_files); filled in by the change that brings it.
SELECT 1;
