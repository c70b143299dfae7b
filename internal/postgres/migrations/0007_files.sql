-- Reserved for issue 17 (0007_files); filled in by the change that brings it.
SELECT 1;
