import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import {
  GIT_REF,
  GITHUB_OWNER,
  GITHUB_REPO,
  INPUT_NAME,
  SERVICE_NAME,
  WORKFLOW,
} from '../service.rules';

/** What `/service add` (or the bootstrap) provides; formats only, GitHub is asked afterwards. */
export class AddServiceInput {
  @IsString()
  @Matches(SERVICE_NAME, {
    message:
      'lowercase letters, digits, ".", "_" and "-", starting with a letter or digit, up to 63 characters',
  })
  name!: string;

  @IsString()
  @Matches(GITHUB_OWNER, { message: 'a GitHub user or organisation name' })
  owner!: string;

  @IsString()
  @Matches(GITHUB_REPO, { message: 'a GitHub repository name (letters, digits, ".", "_" and "-")' })
  repo!: string;

  @IsOptional()
  @Matches(WORKFLOW, { message: 'a workflow file name ending in .yml or .yaml, or its numeric id' })
  workflow?: string;

  @IsOptional()
  @IsString()
  @MaxLength(300, { message: 'too long' })
  envs?: string;

  @IsOptional()
  @IsString()
  @MaxLength(300, { message: 'too long' })
  protected?: string;

  @IsOptional()
  @Matches(GIT_REF, { message: 'a branch, tag or commit SHA' })
  ref?: string;

  @IsOptional()
  @Matches(INPUT_NAME, { message: 'a workflow input name' })
  envInput?: string;

  @IsOptional()
  @Matches(INPUT_NAME, { message: 'a workflow input name' })
  shaInput?: string;

  @IsOptional()
  @Matches(INPUT_NAME, { message: 'a workflow input name' })
  idInput?: string;
}
